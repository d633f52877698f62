package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Train pane (package trainui) reaches the state through trainHost:
// its reason for not starting follows the project, and its button shows
// the Architecture pane.
func TestTrainPaneSaysWhyItCannotStartAndGoesToTheArchitecture(t *testing.T) {
	s, sh, _ := paneShell(t, panetest.Sample(t), ui.PaneTrain)
	s.SetDataset(panetest.SampleData(t))
	for i, n := range s.Project.Graph.Nodes {
		if n.ID == "conv2" {
			s.Project.Graph.Nodes[i].Inputs = []string{"missing"}
		}
	}
	s.MarkDirty()
	start := panetest.Find[*widget.Button](sh.body, func(b *widget.Button) bool { return b.Text == "Start" })
	if len(start) == 0 || !start[0].Disabled() {
		t.Fatal("Start is enabled for a network with an unconnected layer")
	}
	var reason string
	for _, l := range panetest.Find[*widget.Label](sh.body, nil) {
		if strings.Contains(l.Text, "cannot be trained") {
			reason = l.Text
		}
	}
	if !strings.Contains(reason, "missing") {
		t.Fatalf("no reason naming the problem; labels say %q", panetest.Texts(sh.body))
	}
	goArch := panetest.Find[*widget.Button](sh.body, func(b *widget.Button) bool { return b.Text == "Go to Architecture" })
	if len(goArch) == 0 {
		t.Fatal("no Go to Architecture button")
	}
	goArch[0].OnTapped()
	if sh.current != ui.PaneArchitecture {
		t.Fatalf("the button showed %s", sh.current)
	}
}
