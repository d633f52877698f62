package models

import (
	"strings"
	"testing"
)

// TestTrainingMemoryCheckSuggestsABatchThatFits guards `train --batch
// 20000` on 28x28 images, which died with an out-of-memory trace although
// the summary predicted 14 GB: the check uses the summary's arithmetic and
// suggests a batch whose estimate fits.
func TestTrainingMemoryCheckSuggestsABatchThatFits(t *testing.T) {
	g, err := Graph("ref-cnn", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	states := OptimizerStates("adam", 0)
	if states != 2 || OptimizerStates("sgd", 0) != 0 || OptimizerStates("sgd", 0.9) != 1 || OptimizerStates("rmsprop", 0) != 1 {
		t.Fatal("optimizer state counts")
	}
	const avail int64 = 4e9
	c := CheckTrainingMemory(s, 20000, states, avail)
	if c.Need != s.TrainBytes(20000)+2*s.ParamBytes || c.Need < 14e9 {
		t.Fatalf("need %d, want the summary's %d plus Adam's state", c.Need, s.TrainBytes(20000))
	}
	if c.Fits() || c.Err() == nil {
		t.Fatal("a 14 GB run fits in 4 GB")
	}
	if c.MaxBatch <= 0 || c.SuggestBatch > c.MaxBatch || c.SuggestBatch*2 <= c.MaxBatch {
		t.Fatalf("max %d, suggest %d", c.MaxBatch, c.SuggestBatch)
	}
	if fit := CheckTrainingMemory(s, c.MaxBatch, states, avail); !fit.Fits() {
		t.Fatalf("the largest batch said to fit needs %d > %d", fit.Need, avail)
	}
	if over := CheckTrainingMemory(s, c.MaxBatch+1, states, avail); over.Fits() {
		t.Fatal("MaxBatch is not the largest that fits")
	}
	msg := c.Err().Error()
	for _, want := range []string{"batch 20000", "GB", "batch of 4096 or less"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("message %q lacks %q", msg, want)
		}
	}
	if viaGraph, err := CheckTraining(g, []int{1, 28, 28}, 20000, "adam", 0, avail); err != nil || viaGraph != c {
		t.Fatalf("CheckTraining = %+v, %v; want %+v", viaGraph, err, c)
	}
	if small := CheckTrainingMemory(s, 64, states, avail); !small.Fits() || small.Err() != nil {
		t.Fatal("batch 64 does not fit in 4 GB")
	}
	if none := CheckTrainingMemory(s, 64, states, 1000); none.MaxBatch != 0 || !strings.Contains(none.Err().Error(), "even at batch 1") {
		t.Fatalf("1000 bytes: %+v %v", none, none.Err())
	}
}
