package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	wbapp "github.com/workbench-cv/workbench/app"
	"github.com/workbench-cv/workbench/cmd/workbench/internal/initlog"
	"github.com/workbench-cv/workbench/engine/backend"
	_ "github.com/workbench-cv/workbench/engine/backend/cpu" // the CPU backend
	_ "github.com/workbench-cv/workbench/gpu/opengl"         // the OpenGL compute backend
)

// version and buildDate are set at build time by scripts/package.sh:
// -ldflags "-X main.version=1.2.3 -X main.buildDate=2026-01-02". An empty
// version means defaultVersion; an empty buildDate, an unstamped build.
var version, buildDate string

// defaultVersion is the fallback of a plain `go build`: the VERSION file at
// the repository root is the one source of the version, and a test keeps this
// equal to it.
const defaultVersion = "0.1.0"

// Version returns the version of this build.
func Version() string {
	if version != "" {
		return version
	}
	return defaultVersion
}

func main() {
	if held := initlog.Release(os.Stderr); os.Getenv("WORKBENCH_DEBUG") != "" {
		os.Stderr.WriteString(held)
	}
	os.Exit(cliMain(os.Args[1:]))
}

// cliMain runs the command line args as the program does, signals
// included, and returns the exit code; tests run it in a child process.
func cliMain(args []string) int {
	// SIGHUP (the terminal closed, ssh dropped) stops a command as Ctrl-C
	// does: a training run saves its checkpoint and says how to resume.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// After the first signal cancels the context, restore the default
		// behaviour so that a second Ctrl-C ends the program at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	return code
}

func init() {
	wbapp.DeviceName = describeDevice
	register(Command{
		Name:    "open",
		Summary: "open a project file in the desktop app",
		Usage: `workbench open [FILE]

Opens the desktop app with FILE (a .wbproj project). Without FILE it opens the
last project, or the bundled sample project on first start.`,
		MainThread: true,
		Run: func(c *Ctx) error {
			if len(c.Args) > 1 {
				return usageErrorf("open takes one project file, got %d arguments", len(c.Args))
			}
			path := ""
			if len(c.Args) == 1 {
				path = c.Args[0]
				st, err := os.Stat(path)
				if err != nil {
					return usageErrorf("cannot open %s: no such file; give the path of a .wbproj project file", path)
				}
				if st.IsDir() {
					return usageErrorf("%s is a folder; give the path of a .wbproj project file", path)
				}
			}
			if code := runGUI(c.Context, c.Stderr, path); code != exitOK {
				return errSilent{code}
			}
			return nil
		},
	})
}

// describeDevice names the device --device auto picks, for the app's status
// bar: the OpenGL renderer, or the CPU with its BLAS and threads.
func describeDevice() string {
	b, _, err := backend.Choose("auto")
	if err != nil || b == nil {
		return "CPU"
	}
	return b.Describe()
}

// errSilent carries an exit code for a failure that has already been
// reported on stderr.
type errSilent struct{ code int }

func (e errSilent) Error() string { return "" }

// launchGUI runs the desktop app until its window closes; tests replace it.
// When ctx ends (Ctrl-C in the terminal) the app quits as from File ▸ Quit,
// asking about unsaved changes; a second Ctrl-C ends it at once.
var launchGUI = func(ctx context.Context, path string) error {
	return wbapp.Run(wbapp.Options{Path: path, Version: Version(), BuildDate: buildDate, Interrupt: ctx.Done()})
}

// runGUI opens the desktop app, after checking that there is a display to
// open it on, and returns the exit code.
func runGUI(ctx context.Context, stderr io.Writer, path string) int {
	if path != "" {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			fmt.Fprintln(stderr, "workbench: no display to open the app on (DISPLAY is not set); start it from a desktop session, or run a subcommand (see 'workbench --help')")
			return exitFailure
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := launchGUIOrDisplayError(ctx, path); err != nil {
		fmt.Fprintf(stderr, "workbench: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	return exitOK
}

// launchGUIOrDisplayError runs launchGUI, turning GLFW's panic when the
// display named by DISPLAY cannot be opened (no X server there, or not
// yet accepting connections) into an error that says so.
func launchGUIOrDisplayError(ctx context.Context, path string) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		msg := fmt.Sprint(r)
		if !strings.Contains(msg, "GLFW") && !strings.Contains(msg, "display") {
			panic(r)
		}
		err = fmt.Errorf("cannot open the display %q (%s): check that its X server is running and DISPLAY names it, or run a subcommand (see 'workbench --help')", os.Getenv("DISPLAY"), oneLine(msg))
	}()
	return launchGUI(ctx, path)
}
