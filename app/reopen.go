package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

// datasetMissing says why a project's dataset cannot be reloaded: its file
// or folder is no longer where the project says (nil for a named dataset,
// which the loader finds itself, or one that is there).
func datasetMissing(spec, projectPath string) error {
	if spec == "" || !strings.ContainsAny(spec, `/\`) && !strings.Contains(spec, ".") {
		return nil // "sample", "fashion-mnist", ...: looked up by name
	}
	p := spec
	if !filepath.IsAbs(p) && projectPath != "" {
		if _, err := os.Stat(p); err != nil {
			p = filepath.Join(filepath.Dir(projectPath), spec)
		}
	}
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("the project's dataset %s was not found: the file or folder moved or was deleted; choose it again in the Data pane (the project's results stay)", spec)
	}
	return nil
}

// reloadDataset loads the dataset an opened project names, in the
// background, so that every pane has it as when the project was saved; a
// dataset that moved is said so at once.
func (w *window) reloadDataset() {
	s := w.state
	if s.Project == nil || s.Project.Dataset.Spec == "" || s.Dataset != nil {
		return
	}
	spec := s.Project.Dataset.Spec
	if err := datasetMissing(spec, s.Path); err != nil {
		w.showError("Dataset not found", err)
		return
	}
	if w.datasetJob == nil {
		w.datasetJob = widgets.NewJobBar()
	}
	w.datasetJob.Cancel()
	err := ui.LoadDataset(s, w.datasetJob, spec, 0, func(err error) {
		if err != nil && !widgets.Cancelled(err) && !errors.Is(err, widgets.ErrBusy) {
			w.showError("Could not load the dataset "+ui.DatasetTitle(spec), err)
		}
	})
	if err != nil && !errors.Is(err, widgets.ErrBusy) {
		w.showError("Could not load the dataset "+ui.DatasetTitle(spec), err)
	}
}
