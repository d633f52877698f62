package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
)

// Command is one subcommand of workbench. Each lives in its own file,
// cmd_<name>.go, and registers itself from init() with register.
type Command struct {
	Name    string
	Summary string                 // one line shown by `workbench --help`
	Usage   string                 // text printed by `workbench NAME --help`
	Flags   func(fs *flag.FlagSet) // declares the command's own flags (may be nil)
	Run     func(c *Ctx) error
	// MainThread runs Run on the main goroutine (the GUI needs it); other
	// commands run on a fresh goroutine, see runOffMain.
	MainThread bool
}

var commands = map[string]*Command{}

// register adds a subcommand. It is meant for init() functions; a duplicate or
// nameless command is a programming error and stops the program at start-up.
func register(cmd Command) {
	if cmd.Name == "" || cmd.Run == nil {
		panic("workbench: register needs a Name and a Run function")
	}
	if _, dup := commands[cmd.Name]; dup {
		panic("workbench: command " + cmd.Name + " registered twice")
	}
	c := cmd
	commands[cmd.Name] = &c
}

// usageError marks an error as bad usage or bad input: exit code 2.
type usageError struct {
	msg string
	err error // what it reports, if anything (for errors.As)
}

func (e *usageError) Error() string { return e.msg }

func (e *usageError) Unwrap() error { return e.err }

// usageErrorf returns an error that makes workbench exit with code 2 and print
// the message as one line on stderr. Say what is wrong and what to do.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// isUsageError reports whether err (or an error it wraps) is a usage error.
func isUsageError(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// Exit codes of the CLI contract.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// frameFlag describes a flag the frame declares on every command; arity says
// whether it takes a value (used to accept frame flags before the subcommand).
var frameFlags = map[string]bool{ // name -> takes a value
	"json": false, "device": true, "seed": true, "threads": true,
}

// run dispatches args (without the program name) and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	name := "workbench"
	defer func() {
		if r := recover(); r != nil {
			if os.Getenv("WORKBENCH_DEBUG") != "" {
				fmt.Fprintf(stderr, "%s: internal error: %v\n%s", name, r, debug.Stack())
			} else {
				fmt.Fprintf(stderr, "%s: internal error: %s (this is a bug; rerun with WORKBENCH_DEBUG=1 for details and report it)\n",
					name, oneLine(fmt.Sprint(r)))
			}
			code = exitFailure
		}
	}()

	// Frame flags may come before the subcommand: `workbench --json data sample`.
	var lead []string
leading:
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		a := args[0]
		switch a {
		case "-h", "-help", "--help":
			printMainHelp(stdout)
			return exitOK
		case "-version", "--version":
			fmt.Fprintf(stdout, "workbench %s\n", Version())
			return exitOK
		case "--":
			args = args[1:]
			break leading
		}
		fname, hasValue := splitFlag(a)
		needsValue, ok := frameFlags[fname]
		if !ok {
			fmt.Fprintf(stderr, "workbench: unknown flag %s; run 'workbench --help' to list commands and flags\n", a)
			return exitUsage
		}
		lead = append(lead, a)
		args = args[1:]
		if needsValue && !hasValue {
			if len(args) == 0 {
				fmt.Fprintf(stderr, "workbench: flag %s needs a value; run 'workbench --help' for usage\n", a)
				return exitUsage
			}
			lead = append(lead, args[0])
			args = args[1:]
		}
	}
	if len(args) == 0 {
		if len(lead) > 0 {
			fmt.Fprintf(stderr, "workbench: %s given without a subcommand; run 'workbench --help' to list commands\n", strings.Join(lead, " "))
			return exitUsage
		}
		return runGUI(ctx, stderr, "")
	}
	if args[0] == "help" {
		if len(args) > 1 {
			if cmd, ok := commands[args[1]]; ok {
				printCommandHelp(stdout, cmd)
				return exitOK
			}
			fmt.Fprintf(stderr, "workbench: unknown command %q; run 'workbench --help' to list commands\n", args[1])
			return exitUsage
		}
		printMainHelp(stdout)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok && len(args) == 1 && len(lead) == 0 && strings.HasSuffix(strings.ToLower(args[0]), ".wbproj") {
		// `workbench FILE.wbproj`, as a file manager launches it: open it.
		if st, err := os.Stat(args[0]); err == nil && st.Mode().IsRegular() {
			return runGUI(ctx, stderr, args[0])
		}
	}
	if !ok {
		msg := fmt.Sprintf("workbench: unknown command %q; run 'workbench --help' to list commands", args[0])
		if s := suggest(args[0]); s != "" {
			msg = fmt.Sprintf("workbench: unknown command %q (did you mean %q?); run 'workbench --help' to list commands", args[0], s)
		}
		fmt.Fprintln(stderr, msg)
		return exitUsage
	}
	name = "workbench " + cmd.Name
	return runCommand(ctx, cmd, append(lead, args[1:]...), stdout, stderr)
}

// runOffMain runs f on a fresh goroutine and waits for it. Fyne's init locks
// the main goroutine to the main OS thread, and every wake-up of a locked
// goroutine costs a thread hand-off: ref-cnn training ran 26% faster off it.
// A panic in f is raised again here, so run's recover still reports it in
// one line.
func runOffMain(f func() error) error {
	type result struct {
		err      error
		panicked bool
		value    any
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- result{panicked: true, value: r}
			}
		}()
		ch <- result{err: f()}
	}()
	r := <-ch
	if r.panicked {
		panic(r.value)
	}
	return r.err
}

// runCommand parses the command's flags and runs it, turning errors into exit
// codes and one-line messages.
func runCommand(ctx context.Context, cmd *Command, args []string, stdout, stderr io.Writer) int {
	name := "workbench " + cmd.Name
	c := &Ctx{Stdout: stdout, Stderr: stderr, cmd: cmd, terminal: isTerminal(stderr)}
	fs := newFlagSet(cmd, c)
	positional, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(stdout, cmd)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s; run '%s --help' for usage\n", name, flagErrorText(err), name)
		return exitUsage
	}
	c.Flags = fs
	c.Args = positional
	if err := checkFiniteFlags(fs); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err.Error()))
		return exitUsage
	}
	if err := validateFrameFlags(c); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err.Error()))
		return exitUsage
	}
	if ctx == nil {
		ctx = context.Background()
	}
	c.Context = ctx

	if cmd.MainThread {
		err = cmd.Run(c)
	} else {
		err = runOffMain(func() error { return cmd.Run(c) })
	}
	c.finishProgress()
	var silent errSilent
	switch {
	case errors.As(err, &silent):
		return silent.code
	case err == nil:
		if !c.done {
			c.Done(nil)
		}
		return exitOK
	case isUsageError(err):
		c.emitError(err, exitUsage)
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err.Error()))
		return exitUsage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		c.emitError(errors.New("interrupted"), exitFailure)
		fmt.Fprintf(stderr, "%s: interrupted\n", name)
		return exitFailure
	default:
		c.emitError(err, exitFailure)
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err.Error()))
		return exitFailure
	}
}

// newFlagSet declares the frame's flags and then the command's own.
func newFlagSet(cmd *Command, c *Ctx) *flag.FlagSet {
	fs := flag.NewFlagSet("workbench "+cmd.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolVar(&c.JSON, "json", false, "write JSON Lines events to stdout, one object per line")
	fs.StringVar(&c.Device, "device", "auto", "compute device `D`: cpu, gl or auto")
	fs.Int64Var(&c.Seed, "seed", 1, "random seed `N`; same seed, device and inputs give the same results")
	fs.IntVar(&c.Threads, "threads", runtime.NumCPU(), "CPU threads `N` (default: all cores)")
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	return fs
}

func validateFrameFlags(c *Ctx) error {
	switch c.Device {
	case "cpu", "gl", "auto":
	default:
		return usageErrorf("unknown device %q; use --device cpu, gl or auto", c.Device)
	}
	if c.Threads < 1 {
		return usageErrorf("--threads must be at least 1, got %d", c.Threads)
	}
	return nil
}

// checkFiniteFlags refuses NaN and infinities in every number flag given:
// strconv accepts "NaN" and "Inf", and no setting means either (a NaN label
// smoothing trained until the loss was NaN and blamed the learning rate).
func checkFiniteFlags(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok || err != nil {
			return
		}
		if v, ok := g.Get().(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			err = usageErrorf("--%s %s: give a finite number", f.Name, f.Value.String())
		}
	})
	return err
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (`data D --limit-train 5`). A lone "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// flagErrorText rewrites the flag package's messages in the CLI's --name style.
func flagErrorText(err error) string {
	s := err.Error()
	if n, ok := strings.CutPrefix(s, "flag provided but not defined: "); ok {
		return "unknown flag " + dashes(n)
	}
	if n, ok := strings.CutPrefix(s, "flag needs an argument: "); ok {
		return "flag " + dashes(n) + " needs a value"
	}
	if strings.HasPrefix(s, "invalid value ") || strings.HasPrefix(s, "invalid boolean value ") {
		// invalid value "x" for flag -epochs: parse error
		if i := strings.Index(s, " for flag -"); i >= 0 {
			head, tail := s[:i], s[i+len(" for flag -"):]
			if j := strings.Index(tail, ": "); j >= 0 {
				return fmt.Sprintf("%s for flag --%s (%s)", head, tail[:j], simplifyParseErr(tail[j+2:]))
			}
		}
	}
	return oneLine(s)
}

func simplifyParseErr(s string) string {
	switch s {
	case "parse error":
		return "not a number of the right kind"
	case "value out of range":
		return "out of range"
	}
	return s
}

func dashes(n string) string {
	return "--" + strings.TrimLeft(n, "-")
}

// splitFlag returns the name of a flag argument and whether it carries its
// value after "=".
func splitFlag(a string) (name string, hasValue bool) {
	n := strings.TrimLeft(a, "-")
	if i := strings.IndexByte(n, '='); i >= 0 {
		return n[:i], true
	}
	return n, false
}

// oneLine keeps an error message on one line of stderr.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r\n", "; ")
	s = strings.ReplaceAll(s, "\n", "; ")
	return s
}

// suggest returns the registered command closest to a mistyped name, if any
// is close enough to be a plausible typo.
func suggest(name string) string {
	best, bestD := "", 3
	for n := range commands {
		if d := editDistance(name, n); d < bestD || (d == bestD && n < best && best != "") {
			best, bestD = n, d
		}
	}
	if bestD > 2 || bestD >= len(name) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func printMainHelp(w io.Writer) {
	fmt.Fprintf(w, `Workbench %s: train and inspect convolutional networks, offline.

Usage:
  workbench                      open the desktop app (with the sample project on first start)
  workbench open FILE            open a project file in the desktop app
  workbench COMMAND [flags] [args]
  workbench COMMAND --help       show a command's flags

Commands:
`, Version())
	names := make([]string, 0, len(commands))
	width := 0
	for n := range commands {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].Summary)
	}
	fmt.Fprint(w, `
Flags accepted by every command:
  --json            write JSON Lines events to stdout; the last line is {"event":"done",...}
  --device D        compute device: cpu, gl or auto (default auto)
  --seed N          random seed (default 1)
  --threads N       CPU threads (default: all cores)

Other flags:
  --help            show this help
  --version         print the version

Exit codes: 0 success, 1 failure, 2 bad usage or bad input.
`)
}

func printCommandHelp(w io.Writer, cmd *Command) {
	if cmd.Summary != "" {
		fmt.Fprintf(w, "workbench %s: %s\n\n", cmd.Name, cmd.Summary)
	}
	usage := strings.Trim(cmd.Usage, "\n")
	if !strings.HasPrefix(strings.TrimSpace(usage), "workbench") {
		// Usage is only a description: give the synopsis first.
		fmt.Fprintf(w, "Usage: workbench %s [flags]\n", cmd.Name)
		if usage != "" {
			fmt.Fprintf(w, "\n%s\n", usage)
		}
	} else {
		fmt.Fprintf(w, "Usage: %s\n", strings.TrimSpace(usage))
	}
	fs := newFlagSet(cmd, &Ctx{})
	var own, frame []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := frameFlags[f.Name]; ok {
			frame = append(frame, f)
		} else {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, own)
	}
	fmt.Fprintln(w, "\nCommon flags:")
	printFlags(w, frame)
}

func printFlags(w io.Writer, flags []*flag.Flag) {
	type row struct{ left, right string }
	rows := make([]row, 0, len(flags))
	width := 0
	for _, f := range flags {
		valueName, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if valueName != "" {
			left += " " + valueName
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && f.Name != "threads" {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.left, r.right)
	}
}
