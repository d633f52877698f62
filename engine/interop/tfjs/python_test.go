package tfjs

import "os/exec"

func runPython(py string, args ...string) ([]byte, error) {
	return exec.Command(py, args...).CombinedOutput()
}
