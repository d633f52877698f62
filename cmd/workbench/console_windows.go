//go:build windows

package main

import (
	"os"
	"syscall"
)

// The Windows build is a GUI program (linked with -H windowsgui, so that no
// console window pops up when it is double-clicked) and starts without a
// console. Run from cmd or PowerShell it attaches to the parent's console, so
// that --version, --help and the subcommands print there; output already
// redirected to a file or a pipe is left as it is.
func init() { attachParentConsole() }

func attachParentConsole() {
	if !stdMissing(syscall.STD_OUTPUT_HANDLE) && !stdMissing(syscall.STD_ERROR_HANDLE) {
		return
	}
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	attach := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return // started from Explorer: no console to write to
	}
	if stdMissing(syscall.STD_OUTPUT_HANDLE) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if stdMissing(syscall.STD_ERROR_HANDLE) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
}

// stdMissing reports whether the standard handle n is not set.
func stdMissing(n int) bool {
	h, err := syscall.GetStdHandle(n)
	return err != nil || h == 0 || h == syscall.InvalidHandle
}
