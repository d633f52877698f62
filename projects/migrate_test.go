package projects

import (
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// A format-0 manifest, as the prototype wrote it: flat hyper-parameters, the
// dataset as a string, a mean_image flag and bare tensor names.
const v0Manifest = `{
 "name": "prototype",
 "created": "2024-12-01T10:00:00Z",
 "dataset": "mnist", "limit_train": 500, "val": 50,
 "optimizer": "momentum", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005,
 "batch_size": 32, "epochs": 5, "seed": 3, "augment": "flip, crop ,",
 "mean_image": true,
 "graph": {"nodes": [{"id": "in", "op": "input", "x": 1, "y": 2}, {"id": "fc", "op": "linear", "inputs": ["in"], "attrs": {"out": 10}}]},
 "runs": [{"id": "r0", "status": "finished", "epochs": [{"epoch": 1, "train_loss": 1.5, "val_acc": 0.5}]}]
}`

var v0Tensors = st(`{"fc.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"mean_image":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`,
	[]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40})

func TestOpenMigratesFormat0(t *testing.T) {
	for _, manifest := range []string{v0Manifest, strings.Replace(v0Manifest, `"name"`, `"format_version": 0, "name"`, 1)} {
		p, err := openBytes(t, container(t, manifest, v0Tensors))
		if err != nil {
			t.Fatal(err)
		}
		if p.FormatVersion != FormatVersion || p.Name != "prototype" || p.Created.Year() != 2024 {
			t.Fatalf("head = %d %q %v", p.FormatVersion, p.Name, p.Created)
		}
		wantDS := DatasetRef{Spec: "mnist", LimitTrain: 500, Val: 50}
		if !reflect.DeepEqual(p.Dataset, wantDS) {
			t.Fatalf("dataset = %+v, want %+v", p.Dataset, wantDS)
		}
		wantHyper := Hyper{Optimizer: "momentum", LR: 0.01, Momentum: 0.9, WeightDecay: 0.0005, Batch: 32, Epochs: 5, Seed: 3,
			Augment: []string{"flip", "crop"}}
		if !reflect.DeepEqual(p.Hyper, wantHyper) {
			t.Fatalf("hyper = %+v, want %+v", p.Hyper, wantHyper)
		}
		if p.Preprocess.Mode != PreprocessMeanImage {
			t.Fatalf("preprocess = %+v", p.Preprocess)
		}
		if len(p.Graph.Nodes) != 2 || p.Graph.Nodes[1].Attrs["out"] != 10 || p.Runs[0].Epochs[0].ValAcc != 0.5 {
			t.Fatalf("graph or runs lost: %+v %+v", p.Graph, p.Runs)
		}
		if got := p.TensorNames(); !reflect.DeepEqual(got, []string{"preprocess/mean", "weights/fc.weight"}) {
			t.Fatalf("tensors = %v", got)
		}
		if d := p.Tensors[TensorPreprocessMean].Data; d[0] != 2 || d[1] != 3 {
			t.Fatalf("mean = %v", d)
		}
		// Saved again, it is a current-format file that opens unchanged.
		q := saveOpen(t, p)
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("migrated project changes on save:\n%+v\n%+v", p, q)
		}
	}
}

func TestOpenFormat0WithoutMeanImageHasNoPreprocessing(t *testing.T) {
	m := `{"name":"p","dataset":"sample","lr":0.1}`
	p, err := openBytes(t, container(t, m, okTensors))
	if err != nil {
		t.Fatal(err)
	}
	if p.Preprocess.Mode != PreprocessNone || p.Hyper.LR != 0.1 || p.Dataset.Spec != "sample" || p.Tensors["weights/w"].Data == nil {
		t.Fatalf("migrated %+v", p)
	}
}

func TestOpenFormat0WithBadFieldsNamesThem(t *testing.T) {
	cases := map[string]string{
		`{"augment":["flip"]}`:         "cannot migrate it from format 0 to 1: augment must be a comma-separated string",
		`{"mean_image":"yes"}`:         "mean_image must be true or false",
		`{"lr":"fast"}`:                "hyper.lr holds a JSON string where a number belongs",
		`{"dataset":"x","val":"many"}`: "dataset.val holds a JSON string",
	}
	for m, msg := range cases {
		_, err := openBytes(t, container(t, m, okTensors))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: Open = %v, want ErrInvalid with %q", m, err, msg)
		}
	}
}

func TestMigrationsCoverEveryOlderVersion(t *testing.T) {
	if len(migrations) != FormatVersion {
		t.Fatalf("%d migrations for format %d: add the migration from %d", len(migrations), FormatVersion, FormatVersion-1)
	}
	for v, m := range migrations {
		if m == nil {
			t.Fatalf("no migration from format %d", v)
		}
	}
}

// A format-1 manifest as Workbench wrote it before the training settings
// were typed: they sat among the inspection settings under "train.*".
const v1Manifest = `{
 "format_version": 1, "name": "typed",
 "created": "2026-11-01T10:00:00Z",
 "hyper": {"optimizer": "momentum", "lr": 0.05, "batch": 40, "epochs": 2, "seed": 7, "schedule": "step"},
 "inspect": {
  "strings": {"train.init": "he", "train.loss": "svm", "train.freeze": "conv1, fc ,", "train.device": "cpu",
   "train.validation": "none", "filters.layer": "conv1"},
  "numbers": {"train.label_smoothing": 0.1, "train.clip_norm": 5, "train.gamma": 0.5, "train.min_lr": 0.0001,
   "train.step_every": 3, "train.patience": 2, "data.size": 12}
 }
}`

func TestOpenFormat1MovesTrainKeysToTypedSettings(t *testing.T) {
	p, err := openBytes(t, container(t, v1Manifest, okTensors))
	if err != nil {
		t.Fatal(err)
	}
	want := TrainSettings{Init: "he", Loss: "svm", LabelSmoothing: 0.1, ClipNorm: 5, Gamma: 0.5, MinLR: 0.0001,
		StepEvery: 3, Patience: 2, Freeze: []string{"conv1", "fc"}, Device: "cpu", Validation: ValidationNone}
	if p.FormatVersion != FormatVersion || !reflect.DeepEqual(p.Train, want) {
		t.Fatalf("format %d, train = %+v, want %+v", p.FormatVersion, p.Train, want)
	}
	// The inspection settings keep only their own keys.
	wantInsp := Inspect{Strings: map[string]string{"filters.layer": "conv1"}, Numbers: map[string]float64{"data.size": 12}}
	if !reflect.DeepEqual(p.Inspect, wantInsp) {
		t.Fatalf("inspect = %+v, want %+v", p.Inspect, wantInsp)
	}
	if p.Hyper.Optimizer != "momentum" || p.Hyper.Seed != 7 {
		t.Fatalf("hyper lost: %+v", p.Hyper)
	}
	if q := saveOpen(t, p); !reflect.DeepEqual(p, q) {
		t.Fatalf("migrated project changes on save:\n%+v\n%+v", p, q)
	}
}

func TestOpenFormat1WithoutTrainKeysHasDefaultSettings(t *testing.T) {
	m := `{"format_version": 1, "name": "p", "inspect": {"strings": {"filters.layer": "c"}}}`
	p, err := openBytes(t, container(t, m, okTensors))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Train, TrainSettings{}) || p.Inspect.Strings["filters.layer"] != "c" {
		t.Fatalf("train %+v, inspect %+v", p.Train, p.Inspect)
	}
}

func TestSaveRefusesNonFiniteTrainSettings(t *testing.T) {
	p := New("p")
	p.Train.Gamma = math.NaN()
	err := Encode(io.Discard, p)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "train.gamma") {
		t.Fatalf("Encode = %v, want ErrInvalid naming train.gamma", err)
	}
}
