package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The frame is tested through run, the function main calls, with commands
// registered here for the purpose.

var frameTest struct {
	limit int
	args  []string
	ctx   *Ctx
}

func init() {
	register(Command{
		Name:    "frametest",
		Summary: "a command used by the frame's tests",
		Usage:   "workbench frametest [--limit-train N] [--fail usage|plain|multiline|panic|cancel] ARGS...",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&frameTest.limit, "limit-train", 0, "a number")
			fs.String("fail", "", "how to fail")
		},
		Run: func(c *Ctx) error {
			frameTest.args = c.Args
			frameTest.ctx = c
			switch c.Flags.Lookup("fail").Value.String() {
			case "usage":
				return fmt.Errorf("wrapped: %w", usageErrorf("dataset %q not found; give a folder", "nowhere"))
			case "plain":
				return errors.New("disk full")
			case "multiline":
				return errors.New("first line\nsecond line")
			case "panic":
				var m map[string]int
				m["x"] = 1 // a nil-map write: a genuine runtime panic
			case "cancel":
				<-c.Context.Done()
				return c.Context.Err()
			}
			c.Emit("epoch", map[string]any{"epoch": 1, "train_loss": 0.5, "val_acc": 0.25, "bad": nilOrNaN()})
			c.Done(map[string]any{"train": 10, "classes": []string{"a", "b"}, "limit": frameTest.limit, "nan": nilOrNaN()})
			return nil
		},
	})
	register(Command{
		Name:    "frametest-nodone",
		Summary: "a command that returns without calling Done",
		Run:     func(c *Ctx) error { return nil },
	})
}

func nilOrNaN() float64 { var z float64; return z / z }

// call runs the CLI with args and returns the exit code, stdout and stderr.
func call(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return callCtx(t, context.Background(), args...)
}

func callCtx(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// trainedRefCNN trains ref-cnn on limitTrain sample images for one epoch
// (batch 30, two CPU threads), testing on limitTest, and returns the saved
// project's path.
func trainedRefCNN(t *testing.T, limitTrain, limitTest string) string {
	t.Helper()
	proj := filepath.Join(t.TempDir(), "m.wbproj")
	code, _, errs := call(t, "train", "--data", "sample", "--limit-train", limitTrain, "--limit-test", limitTest, "--model", "ref-cnn",
		"--epochs", "1", "--batch", "30", "--threads", "2", "--device", "cpu", "--json", "--save", proj)
	if code != 0 {
		t.Fatalf("training the test project: exit %d: %s", code, errs)
	}
	return proj
}

// oneErrorLine fails unless stderr is exactly one line matching want.
func oneErrorLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("stderr should be exactly one line, got %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not mention %q", stderr, w)
		}
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic:") {
		t.Errorf("stderr shows a Go panic trace: %q", stderr)
	}
}

func TestHelpListsEveryCommandAndExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errs := call(t, args...)
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		for name, c := range commands {
			if !strings.Contains(out, name) || !strings.Contains(out, c.Summary) {
				t.Errorf("%v: help does not list %s (%q)", args, name, c.Summary)
			}
		}
		for _, f := range []string{"--json", "--device", "--seed", "--threads", "--version"} {
			if !strings.Contains(out, f) {
				t.Errorf("%v: help does not mention %s", args, f)
			}
		}
	}
}

func TestVersionPrintsVersionAndExitsZero(t *testing.T) {
	code, out, errs := call(t, "--version")
	if code != 0 || errs != "" || out != "workbench "+Version()+"\n" {
		t.Fatalf("--version: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestDefaultVersionMatchesVERSIONFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(b)); v != defaultVersion {
		t.Fatalf("defaultVersion is %q but VERSION says %q; keep them equal", defaultVersion, v)
	}
	// FyneApp.toml carries no Version: scripts/package.sh passes VERSION to
	// fyne package, so there is no second copy to drift.
	toml, err := os.ReadFile(filepath.Join("..", "..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^\s*Version\s*=`).Match(toml) {
		t.Fatal("FyneApp.toml has a Version; the VERSION file is the one source, remove it there")
	}
}

func TestCommandHelpShowsItsFlagsAndTheCommonOnes(t *testing.T) {
	for _, args := range [][]string{{"frametest", "--help"}, {"frametest", "-h"}, {"help", "frametest"}, {"frametest", "x", "--help"}} {
		frameTest.args = nil
		code, out, errs := call(t, args...)
		if frameTest.args != nil {
			t.Errorf("%v ran the command", args)
		}
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		for _, want := range []string{"workbench frametest", "--limit-train", "--json", "--device", "--seed", "--threads"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out)
			}
		}
	}
}

func TestUnknownCommandExitsTwoWithOneLine(t *testing.T) {
	code, out, errs := call(t, "no-such-command", "--json")
	if code != 2 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	oneErrorLine(t, errs, `"no-such-command"`, "workbench --help")

	code, _, errs = call(t, "frametst")
	if code != 2 {
		t.Fatalf("typo: exit %d", code)
	}
	oneErrorLine(t, errs, `did you mean "frametest"`)
}

func TestUnknownFlagExitsTwoWithOneLine(t *testing.T) {
	code, out, errs := call(t, "frametest", "a", "--no-such-flag", "3")
	if code != 2 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	oneErrorLine(t, errs, "unknown flag --no-such-flag", "workbench frametest --help")

	code, _, errs = call(t, "--no-such-flag")
	if code != 2 {
		t.Fatalf("top-level unknown flag: exit %d", code)
	}
	oneErrorLine(t, errs, "--no-such-flag", "workbench --help")
}

func TestBadFlagValuesExitTwoWithOneLine(t *testing.T) {
	cases := map[string][]string{
		"--limit-train":    {"frametest", "--limit-train", "lots"},
		"needs a value":    {"frametest", "--limit-train"},
		"unknown device":   {"frametest", "--device", "tpu"},
		"--threads":        {"frametest", "--threads", "0"},
		"without a subcom": {"--json"},
	}
	for want, args := range cases {
		code, _, errs := call(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
			continue
		}
		oneErrorLine(t, errs, want)
	}
}

func TestFlagsAndPositionalsInterleave(t *testing.T) {
	code, _, errs := call(t, "frametest", "D", "--limit-train", "5", "E", "--seed=7", "--", "--not-a-flag")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := strings.Join(frameTest.args, " "); got != "D E --not-a-flag" {
		t.Errorf("positionals %q, want %q", got, "D E --not-a-flag")
	}
	if frameTest.limit != 5 || frameTest.ctx.Seed != 7 {
		t.Errorf("limit %d seed %d, want 5 and 7", frameTest.limit, frameTest.ctx.Seed)
	}
	if frameTest.ctx.Device != "auto" || frameTest.ctx.Threads < 1 || frameTest.ctx.JSON {
		t.Errorf("defaults: device %q threads %d json %v", frameTest.ctx.Device, frameTest.ctx.Threads, frameTest.ctx.JSON)
	}

	// Frame flags may also come before the subcommand.
	code, out, _ := call(t, "--json", "--device", "cpu", "frametest", "X")
	if code != 0 || !frameTest.ctx.JSON || frameTest.ctx.Device != "cpu" || strings.Join(frameTest.args, " ") != "X" {
		t.Fatalf("leading frame flags: exit %d json %v device %q args %v", code, frameTest.ctx.JSON, frameTest.ctx.Device, frameTest.args)
	}
	if !strings.HasPrefix(out, `{"event":`) {
		t.Errorf("--json before the subcommand did not switch to JSON: %q", out)
	}
}

func TestJSONOutputIsJSONLinesEndingWithDone(t *testing.T) {
	code, out, errs := call(t, "frametest", "--json", "--limit-train", "3")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %d: %q", len(lines), out)
	}
	var events []map[string]any
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"event":"`) {
			t.Errorf("line does not start with the event: %s", l)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %s: %v", l, err)
		}
		events = append(events, m)
	}
	if events[0]["event"] != "epoch" || events[0]["train_loss"] != 0.5 || events[0]["bad"] != nil {
		t.Errorf("epoch event wrong: %v", events[0])
	}
	done := events[1]
	if done["event"] != "done" || done["train"] != float64(10) || done["limit"] != float64(3) {
		t.Errorf("done event wrong: %v", done)
	}
	if cl, _ := done["classes"].([]any); len(cl) != 2 || cl[0] != "a" {
		t.Errorf("classes: %v", done["classes"])
	}
	if v, ok := done["nan"]; !ok || v != nil {
		t.Errorf("NaN should be written as null, got %v (present %v)", v, ok)
	}
}

func TestCommandWithoutDoneStillEndsWithDone(t *testing.T) {
	code, out, _ := call(t, "frametest-nodone", "--json")
	if code != 0 || out != `{"event":"done"}`+"\n" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}

func TestHumanOutputIsATable(t *testing.T) {
	code, out, errs := call(t, "frametest")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"epoch: ", "train_loss=0.5", "classes  a,b", "train    10"} {
		if !strings.Contains(out, want) {
			t.Errorf("human output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "{") {
		t.Errorf("human output contains JSON:\n%s", out)
	}
}

func TestDoneShowsRecordsAsATableAndLongListsOnePerLine(t *testing.T) {
	var b bytes.Buffer
	writeTable(&b, map[string]any{
		"params": 1234,
		"layers": []map[string]any{
			{"name": "conv1", "type": "conv2d", "params": 320},
			{"name": "fc", "type": "linear", "params": 1290},
		},
		"files": []string{"/some/long/folder/name/data.png", "/some/long/folder/name/train.png", "/some/long/folder/name/dream.png"},
	})
	want := "files   /some/long/folder/name/data.png\n" +
		"        /some/long/folder/name/train.png\n" +
		"        /some/long/folder/name/dream.png\n" +
		"params  1234\n" +
		"\nlayers:\n" +
		"  name   type    params\n" +
		"  conv1  conv2d  320\n" +
		"  fc     linear  1290\n"
	if b.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestErrorsExitWithTheRightCodeAndOneLine(t *testing.T) {
	cases := []struct {
		fail string
		code int
		want string
	}{
		{"usage", 2, `dataset "nowhere" not found; give a folder`},
		{"plain", 1, "disk full"},
		{"multiline", 1, "first line; second line"},
		{"panic", 1, "internal error"},
	}
	for _, c := range cases {
		code, out, errs := call(t, "frametest", "--fail", c.fail)
		if code != c.code {
			t.Errorf("--fail %s: exit %d, want %d", c.fail, code, c.code)
		}
		if out != "" {
			t.Errorf("--fail %s: stdout %q, want nothing", c.fail, out)
		}
		oneErrorLine(t, errs, "workbench frametest: ", c.want)
	}
	// With --json a script also learns the error on stdout.
	code, out, _ := call(t, "frametest", "--fail", "plain", "--json")
	var m map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &m) != nil || m["event"] != "error" || m["exit_code"] != float64(1) {
		t.Errorf("--json error: exit %d, stdout %q", code, out)
	}
}

func TestCancelledContextStopsTheCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errs := callCtx(t, ctx, "frametest", "--fail", "cancel")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	oneErrorLine(t, errs, "interrupted")
}

func TestProgressDrawsOnATerminalOnly(t *testing.T) {
	var errb bytes.Buffer
	c := &Ctx{Stderr: &errb, Stdout: &bytes.Buffer{}, terminal: true}
	p := c.Progress("epoch 1", 10)
	p.Add(4)
	p.Set(10)
	p.Finish()
	p.Finish()
	got := errb.String()
	if !strings.Contains(got, "epoch 1 [") || !strings.Contains(got, "4/10") || !strings.Contains(got, "10/10 100%") {
		t.Errorf("bar output %q", got)
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("Finish should end the bar's line exactly once: %q", got)
	}

	for _, c := range []*Ctx{
		{Stderr: &bytes.Buffer{}, Stdout: &bytes.Buffer{}, terminal: true, JSON: true},
		{Stderr: &bytes.Buffer{}, Stdout: &bytes.Buffer{}, terminal: false},
	} {
		p := c.Progress("x", 5)
		p.Add(5)
		p.Finish()
		if s := c.Stderr.(*bytes.Buffer).String(); s != "" {
			t.Errorf("progress drawn with json=%v terminal=%v: %q", c.JSON, c.terminal, s)
		}
	}
}

func TestNoSubcommandOrOpenLaunchesTheApp(t *testing.T) {
	var opened []string
	old := launchGUI
	launchGUI = func(_ context.Context, path string) error { opened = append(opened, path); return nil }
	t.Cleanup(func() { launchGUI = old })
	t.Setenv("DISPLAY", ":99")

	file := filepath.Join(t.TempDir(), "p.wbproj")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := call(t); code != 0 {
		t.Fatalf("no args: exit %d %s", code, errs)
	}
	if code, _, errs := call(t, "open", file); code != 0 {
		t.Fatalf("open: exit %d %s", code, errs)
	}
	if code, _, errs := call(t, file); code != 0 { // as a file manager starts it
		t.Fatalf("workbench FILE: exit %d %s", code, errs)
	}
	if len(opened) != 3 || opened[0] != "" || opened[1] != file || opened[2] != file {
		t.Fatalf("launched with %q", opened)
	}
	code, _, errs := call(t, "open", filepath.Join(t.TempDir(), "missing.wbproj"))
	if code != 2 {
		t.Fatalf("open missing: exit %d", code)
	}
	oneErrorLine(t, errs, "no such file")

	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	code, _, errs = call(t)
	if code != 1 {
		t.Fatalf("no display: exit %d", code)
	}
	oneErrorLine(t, errs, "no display", "workbench --help")
	if len(opened) != 3 {
		t.Fatalf("launched without a display")
	}
}
