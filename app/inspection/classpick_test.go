package inspection

import (
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
)

func TestClassIndexReadsNumbersNamesAndUniqueParts(t *testing.T) {
	pr := &projects.Project{}
	pr.Dataset.Classes = []string{"tench", "goldfish", "great white shark", "tiger shark", "Granny Smith"}
	b := &Base{S: &ui.State{Project: pr}}
	for _, c := range []struct {
		text string
		want int
		err  string
	}{
		{"3", 3, ""}, {" goldfish ", 1, ""}, {"granny smith", 4, ""}, {"white", 2, ""},
		{"shark", -1, "matches 2 classes"}, {"7", -1, "use 0 to 4"}, {"zebra", -1, "no class is called"}, {"", -1, "no class"},
	} {
		k, err := b.ClassIndex(c.text, len(pr.Dataset.Classes))
		if k != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: class %d, error %v; want %d, %q", c.text, k, err, c.want, c.err)
		}
	}
}
