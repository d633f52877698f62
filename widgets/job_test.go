package widgets

import (
	"testing"
	"time"
)

// WaitBackground waits for the goroutines that Go started, and only for as
// long as it is told.
func TestWaitBackgroundWaitsForWhatGoStarted(t *testing.T) {
	release, ended := make(chan struct{}), make(chan struct{})
	Go(func() {
		<-release
		close(ended)
	})
	if WaitBackground(20 * time.Millisecond) {
		t.Fatal("WaitBackground reported idle while a goroutine started by Go was blocked")
	}
	close(release)
	if !WaitBackground(time.Minute) {
		t.Fatal("WaitBackground timed out after the goroutine was released")
	}
	select {
	case <-ended:
	default:
		t.Fatal("WaitBackground returned before the goroutine ended")
	}
	// Idle again, and usable again.
	Go(func() {})
	if !WaitBackground(time.Minute) {
		t.Fatal("a second round of Go did not end")
	}
}
