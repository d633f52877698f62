package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A display that cannot be opened (GLFW panics while Fyne starts) is one
// clear line, not an internal error.
func TestUnopenableDisplayIsOneClearLine(t *testing.T) {
	t.Setenv("DISPLAY", ":77")
	old := launchGUI
	defer func() { launchGUI = old }()
	launchGUI = func(context.Context, string) error {
		panic("NotInitialized: The GLFW library is not initialized")
	}
	var stderr bytes.Buffer
	if code := runGUI(context.Background(), &stderr, ""); code != exitFailure {
		t.Fatalf("exit %d, want %d", code, exitFailure)
	}
	if got := stderr.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, `cannot open the display ":77"`) || strings.Contains(got, "internal error") {
		t.Fatalf("stderr %q", got)
	}
}
