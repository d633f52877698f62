//go:build !unix

package pytorch

import "os/exec"

// ownGroup: without Unix process groups, torchrun's workers are reached
// through torchrun itself, which stops them when it exits.
func ownGroup(cmd *exec.Cmd) {}

// stopGroup kills torchrun (Windows has no SIGTERM to forward).
func stopGroup(cmd *exec.Cmd, kill bool) { cmd.Process.Kill() }
