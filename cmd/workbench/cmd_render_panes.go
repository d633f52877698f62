package main

import (
	"errors"
	"flag"

	"github.com/workbench-cv/workbench/app"
	"github.com/workbench-cv/workbench/projects"
)

func init() {
	var project, out string
	var width, height int
	var dark bool
	register(Command{
		Name:    "render-panes",
		Summary: "render every pane of the app to PNG files, no display needed",
		Usage: `workbench render-panes --project FILE --out DIR [--width W] [--height H] [--dark]

Draws the main window once per pane (Data, Architecture, Train, ...) for the
project with Fyne's software painter and writes DIR/<pane>.png. --project
sample uses the bundled sample project.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&project, "project", "", "project `FILE` (.wbproj), or \"sample\" for the bundled sample")
			fs.StringVar(&out, "out", "", "`DIR` to write the PNG files to (created if missing)")
			fs.IntVar(&width, "width", 1280, "window width `W` in pixels")
			fs.IntVar(&height, "height", 800, "window height `H` in pixels")
			fs.BoolVar(&dark, "dark", false, "use the dark theme instead of the light one")
		},
		Run: func(c *Ctx) error {
			if len(c.Args) > 0 {
				return usageErrorf("unexpected argument %q; give the project with --project FILE", c.Args[0])
			}
			if project == "" {
				return usageErrorf("missing --project; give a project file, or --project sample")
			}
			if out == "" {
				return usageErrorf("missing --out; give the folder to write the PNG files to")
			}
			if width < 320 || height < 240 || width > 8192 || height > 8192 {
				return usageErrorf("window size %dx%d is out of range; use --width 320..8192 and --height 240..8192", width, height)
			}
			p, path, err := projectFromFlag(project)
			if err != nil {
				return err
			}
			files, err := app.RenderPanes(c.Context, p, path, out, app.RenderOptions{Width: width, Height: height, Dark: dark})
			if err != nil {
				return err
			}
			c.Done(map[string]any{"files": files})
			return nil
		},
	})
}

// projectFromFlag opens a project file, or the bundled sample for "sample". A
// file that cannot be opened is bad input (exit 2): its message names the
// problem.
func projectFromFlag(spec string) (*projects.Project, string, error) {
	if spec == "sample" {
		p, err := projects.Sample()
		return p, "", err
	}
	p, err := projects.Open(spec)
	if err != nil {
		var pe *projects.Error
		if errors.As(err, &pe) && !errors.Is(err, projects.ErrWrite) {
			return nil, "", usageErrorf("%s", err.Error())
		}
		return nil, "", err
	}
	return p, spec, nil
}
