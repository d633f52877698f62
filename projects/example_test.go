package projects_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/workbench-cv/workbench/projects"
)

// A project is saved atomically and opened with every part validated.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "fashion"+projects.Extension)

	p, _ := projects.Sample()
	p.Tensors["weights/fc2.bias"] = projects.Tensor{Shape: []int{10}, Data: make([]float32, 10)}
	if err := projects.Save(p, path); err != nil {
		fmt.Println(err)
		return
	}
	q, err := projects.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Name, q.Dataset.Spec, len(q.Graph.Nodes), "nodes", q.TensorNames())

	// A damaged file gives a typed error that says what to do.
	os.WriteFile(path, []byte("not a project"), 0o644)
	_, err = projects.Open(path)
	fmt.Println(errors.Is(err, projects.ErrCorrupt))
	// Output:
	// Fashion-MNIST sample sample 11 nodes [weights/fc2.bias]
	// true
}

// After a crash, offer the autosave if it is newer than the file.
func ExampleNewerAutosave() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net"+projects.Extension)

	p := projects.New("net")
	projects.Autosave(p, path) // the project was never saved under path

	if auto, ok := projects.NewerAutosave(path); ok {
		recovered, err := projects.Open(auto)
		fmt.Println(filepath.Base(auto), recovered.Name, err)
	}
	projects.RemoveAutosave(path)
	_, ok := projects.NewerAutosave(path)
	fmt.Println(ok)
	// Output:
	// .net.wbproj.autosave net <nil>
	// false
}
