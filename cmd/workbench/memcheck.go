package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/sysmem"
)

// memoryFlagUsage documents --memory, shared by the commands that train.
const memoryFlagUsage = "memory a training run may use, e.g. 8G or 512M: a batch whose estimate (as in 'workbench summary') exceeds it is refused before training; off skips the check (default: the memory available now)"

// parseMemory reads --memory: "" (the memory available), "off", or a size
// with an optional K, M, G or T suffix (powers of 1000; KiB, MiB, GiB, TiB
// are powers of 1024) and optional B.
func parseMemory(s string) (bytes int64, off bool, err error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "":
		return 0, false, nil
	case "off", "none", "0":
		return 0, true, nil
	}
	u := strings.ToUpper(t)
	mult := 1.0
	for _, sfx := range []struct {
		s string
		m float64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1}} {
		if strings.HasSuffix(u, sfx.s) {
			u, mult = strings.TrimSpace(strings.TrimSuffix(u, sfx.s)), sfx.m
			break
		}
	}
	v, perr := strconv.ParseFloat(u, 64)
	if perr != nil || !(v > 0) || math.IsInf(v*mult, 0) || v*mult > 1<<62 {
		return 0, false, usageErrorf("--memory %q: give a size such as 8G or 512M, or off", s)
	}
	return int64(v * mult), false, nil
}

// checkTrainMemory refuses a training run whose estimated memory (the
// summary's arithmetic: activations and their gradients per image, weights,
// gradients and optimizer state) exceeds --memory or the memory available,
// suggesting a batch that fits. It says nothing where the available memory
// cannot be known.
func checkTrainMemory(g graph.Graph, in []int, batch int, optimizer string, momentum float64, memory string) error {
	budget, off, err := parseMemory(memory)
	if err != nil || off {
		return err
	}
	source := "set by --memory"
	if budget == 0 {
		avail, ok := sysmem.Available()
		if !ok {
			return nil
		}
		budget, source = avail, "available"
	}
	chk, err := models.CheckTraining(g, in, batch, optimizer, momentum, budget)
	if err != nil || chk.Fits() { // the model's own errors are reported when it is built
		return nil
	}
	fix := fmt.Sprintf("pass --batch %d, or --memory off to skip this check", chk.SuggestBatch)
	if chk.MaxBatch == 0 {
		fix = "or pass --memory off to skip this check"
	}
	return usageErrorf("%s; %s", chk.Problem(source), fix)
}
