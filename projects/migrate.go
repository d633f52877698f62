package projects

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A migration turns a manifest (as raw JSON fields) and its tensors from
// format version N into version N+1. migrations[N] migrates from version N.
//
// To change the format: bump FormatVersion, change the types, and append a
// migration from the previous version that rewrites old manifests into the new
// shape, with a test that opens a file of the old version.
type migration func(doc map[string]json.RawMessage, tensors map[string]Tensor) error

var migrations = []migration{
	0: migrateV0,
	1: migrateV1,
	2: migrateV2,
}

// migrate brings doc and tensors from version to FormatVersion.
func migrate(doc map[string]json.RawMessage, tensors map[string]Tensor, version int) error {
	for v := version; v < FormatVersion; v++ {
		if err := migrations[v](doc, tensors); err != nil {
			return invalidf(nil, "cannot migrate it from format %d to %d: %v", v, v+1, err)
		}
		doc["format_version"] = json.RawMessage(fmt.Sprint(v + 1))
	}
	return nil
}

// migrateV0 migrates the prototype layout (format 0, which had no
// format_version field):
//
//   - the dataset was a plain string, with limit_train, limit_test and val
//     at the top level; version 1 has a dataset object;
//   - the hyper-parameters were flat top-level fields (optimizer, lr,
//     momentum, weight_decay, batch_size, epochs, seed, and augment as one
//     comma-separated string); version 1 groups them under "hyper" (with
//     "batch" for batch_size and augment as a list);
//   - preprocessing was one boolean, mean_image; version 1 has a
//     preprocess object with a mode;
//   - tensors had bare names ("conv1.weight", and "mean_image" for the mean
//     image); version 1 puts weights under "weights/" and the mean under
//     "preprocess/mean".
func migrateV0(doc map[string]json.RawMessage, tensors map[string]Tensor) error {
	take := func(key string) (json.RawMessage, bool) {
		v, ok := doc[key]
		delete(doc, key)
		return v, ok
	}

	if raw, ok := doc["dataset"]; ok && len(raw) > 0 && raw[0] == '"' {
		var spec string
		if err := json.Unmarshal(raw, &spec); err != nil {
			return fmt.Errorf("dataset: %v", err)
		}
		ds := map[string]json.RawMessage{"spec": raw}
		for _, k := range []string{"limit_train", "limit_test", "val"} {
			if v, ok := take(k); ok {
				ds[k] = v
			}
		}
		b, err := json.Marshal(ds)
		if err != nil {
			return err
		}
		doc["dataset"] = b
	}

	if _, ok := doc["hyper"]; !ok {
		hyper := map[string]json.RawMessage{}
		for old, new := range map[string]string{"optimizer": "optimizer", "lr": "lr", "momentum": "momentum",
			"weight_decay": "weight_decay", "batch_size": "batch", "epochs": "epochs", "seed": "seed"} {
			if v, ok := take(old); ok {
				hyper[new] = v
			}
		}
		if v, ok := take("augment"); ok && string(v) != "null" {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("augment must be a comma-separated string in format 0: %v", err)
			}
			var list []string
			for a := range strings.SplitSeq(s, ",") {
				if a = strings.TrimSpace(a); a != "" {
					list = append(list, a)
				}
			}
			b, _ := json.Marshal(list)
			hyper["augment"] = b
		}
		b, err := json.Marshal(hyper)
		if err != nil {
			return err
		}
		doc["hyper"] = b
	}

	if _, ok := doc["preprocess"]; !ok {
		mode := PreprocessNone
		if v, ok := take("mean_image"); ok {
			var on bool
			if err := json.Unmarshal(v, &on); err != nil {
				return fmt.Errorf("mean_image must be true or false: %v", err)
			}
			if on {
				mode = PreprocessMeanImage
			}
		}
		b, _ := json.Marshal(Preprocess{Mode: mode})
		doc["preprocess"] = b
	}

	renamed := map[string]Tensor{}
	for name, t := range tensors {
		if strings.Contains(name, "/") {
			continue
		}
		newName := GroupWeights + "/" + name
		if name == "mean_image" {
			newName = TensorPreprocessMean
		}
		if _, clash := tensors[newName]; clash {
			return fmt.Errorf("tensors %q and %q would both be named %q", name, newName, newName)
		}
		delete(tensors, name)
		renamed[newName] = t
	}
	for k, t := range renamed {
		tensors[k] = t
	}
	return nil
}

// migrateV1 moves the training settings out of the inspection settings:
// format 1 kept them in inspect.strings (train.init, train.loss,
// train.freeze as a comma-separated list, train.device,
// train.validation) and inspect.numbers (train.label_smoothing,
// train.clip_norm, train.gamma, train.min_lr, train.step_every,
// train.patience); format 2 has a typed "train" object. Other keys stay
// where they are.
func migrateV1(doc map[string]json.RawMessage, _ map[string]Tensor) error {
	var insp struct {
		Strings map[string]string          `json:"strings,omitempty"`
		Numbers map[string]json.RawMessage `json:"numbers,omitempty"`
	}
	if raw, ok := doc["inspect"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &insp); err != nil {
			return fmt.Errorf("inspect: %v", err)
		}
	}
	const prefix = "train."
	ts := map[string]any{}
	for _, k := range []string{"init", "loss", "device", "validation", "freeze"} {
		v, ok := insp.Strings[prefix+k]
		if !ok {
			continue
		}
		delete(insp.Strings, prefix+k)
		if k != "freeze" {
			ts[k] = v
			continue
		}
		var list []string
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				list = append(list, f)
			}
		}
		ts[k] = list
	}
	for _, k := range []string{"label_smoothing", "clip_norm", "gamma", "min_lr", "step_every", "patience"} {
		raw, ok := insp.Numbers[prefix+k]
		if !ok {
			continue
		}
		delete(insp.Numbers, prefix+k)
		var v jsonFloat
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("inspect.numbers[%q]: %v", prefix+k, err)
		}
		if k == "step_every" || k == "patience" {
			ts[k] = int(v)
		} else {
			ts[k] = float64(v)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	if _, ok := doc["train"]; ok {
		return errors.New(`it has both a "train" object and train.* inspection settings`)
	}
	b, err := json.Marshal(ts)
	if err != nil {
		return fmt.Errorf("train settings: %v", err)
	}
	doc["train"] = b
	if b, err = json.Marshal(insp); err != nil {
		return err
	}
	doc["inspect"] = b
	return nil
}

// migrateV2 adds the results object of format 3 (searches, babysitting,
// classic baselines and embedding maps the app computed; runs also keep
// their layer statistics). Format 2 kept none of them, so an older project
// opens with none.
func migrateV2(doc map[string]json.RawMessage, _ map[string]Tensor) error {
	if _, ok := doc["results"]; !ok {
		doc["results"] = json.RawMessage("{}")
	}
	return nil
}
