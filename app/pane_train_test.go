package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"
)

// The Train pane (package trainui) reaches the state through trainHost:
// its reason for not starting follows the project, and its button shows
// the Architecture pane.
func TestTrainPaneSaysWhyItCannotStartAndGoesToTheArchitecture(t *testing.T) {
	s, sh, _ := paneShell(t, sample(t), PaneTrain)
	s.SetDataset(sampleData(t))
	for i, n := range s.Project.Graph.Nodes {
		if n.ID == "conv2" {
			s.Project.Graph.Nodes[i].Inputs = []string{"missing"}
		}
	}
	s.MarkDirty()
	start := find[*widget.Button](sh.body, func(b *widget.Button) bool { return b.Text == "Start" })
	if len(start) == 0 || !start[0].Disabled() {
		t.Fatal("Start is enabled for a network with an unconnected layer")
	}
	var reason string
	for _, l := range find[*widget.Label](sh.body, nil) {
		if strings.Contains(l.Text, "cannot be trained") {
			reason = l.Text
		}
	}
	if !strings.Contains(reason, "missing") {
		t.Fatalf("no reason naming the problem; labels say %q", shownTexts(sh.body))
	}
	goArch := find[*widget.Button](sh.body, func(b *widget.Button) bool { return b.Text == "Go to Architecture" })
	if len(goArch) == 0 {
		t.Fatal("no Go to Architecture button")
	}
	goArch[0].OnTapped()
	if sh.current != PaneArchitecture {
		t.Fatalf("the button showed %s", sh.current)
	}
}
