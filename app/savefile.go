package app

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage/repository"
)

// Fyne's Save dialog hands its callback a writer it has already opened on
// the chosen file, and opening truncates: by the time Workbench learns the
// path, an existing file there is empty. Workbench only takes the path and
// saves atomically (projects.Save), so a save that then fails (the file is
// locked by another Workbench, the disk is full, it is not a project) must
// find the file as it was. keepFilesUntilWritten wraps the "file" storage
// repository so that a writer opens its file on the first Write: a writer
// closed without writing leaves the file untouched.

var wrapFiles sync.Mutex

// keepFilesUntilWritten installs the wrapper around the registered "file"
// repository, once.
func keepFilesUntilWritten() {
	wrapFiles.Lock()
	defer wrapFiles.Unlock()
	r, err := repository.ForScheme("file")
	if err != nil {
		return
	}
	if _, done := r.(lazyFiles); done {
		return
	}
	repository.Register("file", lazyFiles{r})
}

// lazyFiles is a file repository whose writers open their file (and
// truncate it) on the first Write. Every other operation is the wrapped
// repository's.
type lazyFiles struct{ repository.Repository }

func (l lazyFiles) Writer(u fyne.URI) (fyne.URIWriteCloser, error) {
	w, ok := l.Repository.(repository.WritableRepository)
	if !ok {
		return nil, repository.ErrOperationNotSupported
	}
	return &lazyWriter{uri: u, open: func() (fyne.URIWriteCloser, error) { return w.Writer(u) }}, nil
}

func (l lazyFiles) CanWrite(u fyne.URI) (bool, error) {
	if w, ok := l.Repository.(repository.WritableRepository); ok {
		return w.CanWrite(u)
	}
	return false, repository.ErrOperationNotSupported
}

func (l lazyFiles) Delete(u fyne.URI) error {
	if w, ok := l.Repository.(repository.WritableRepository); ok {
		return w.Delete(u)
	}
	return repository.ErrOperationNotSupported
}

func (l lazyFiles) DeleteAll(u fyne.URI) error {
	if d, ok := l.Repository.(repository.DeleteAllRepository); ok {
		return d.DeleteAll(u)
	}
	return repository.ErrOperationNotSupported
}

func (l lazyFiles) Appender(u fyne.URI) (fyne.URIWriteCloser, error) {
	if a, ok := l.Repository.(repository.AppendableRepository); ok {
		return a.Appender(u)
	}
	return nil, repository.ErrOperationNotSupported
}

func (l lazyFiles) Parent(u fyne.URI) (fyne.URI, error) {
	if h, ok := l.Repository.(repository.HierarchicalRepository); ok {
		return h.Parent(u)
	}
	return repository.GenericParent(u)
}

func (l lazyFiles) Child(u fyne.URI, name string) (fyne.URI, error) {
	if h, ok := l.Repository.(repository.HierarchicalRepository); ok {
		return h.Child(u, name)
	}
	return repository.GenericChild(u, name)
}

func (l lazyFiles) CanList(u fyne.URI) (bool, error) {
	if ls, ok := l.Repository.(repository.ListableRepository); ok {
		return ls.CanList(u)
	}
	return false, repository.ErrOperationNotSupported
}

func (l lazyFiles) List(u fyne.URI) ([]fyne.URI, error) {
	if ls, ok := l.Repository.(repository.ListableRepository); ok {
		return ls.List(u)
	}
	return nil, repository.ErrOperationNotSupported
}

func (l lazyFiles) CreateListable(u fyne.URI) error {
	if ls, ok := l.Repository.(repository.ListableRepository); ok {
		return ls.CreateListable(u)
	}
	return repository.ErrOperationNotSupported
}

func (l lazyFiles) Copy(src, dst fyne.URI) error {
	if c, ok := l.Repository.(repository.CopyableRepository); ok {
		return c.Copy(src, dst)
	}
	return repository.GenericCopy(src, dst)
}

func (l lazyFiles) Move(src, dst fyne.URI) error {
	if m, ok := l.Repository.(repository.MovableRepository); ok {
		return m.Move(src, dst)
	}
	return repository.GenericMove(src, dst)
}

// lazyWriter opens its file when first written to.
type lazyWriter struct {
	uri  fyne.URI
	open func() (fyne.URIWriteCloser, error)
	w    fyne.URIWriteCloser
	err  error
}

func (lw *lazyWriter) URI() fyne.URI { return lw.uri }

func (lw *lazyWriter) Write(p []byte) (int, error) {
	if lw.w == nil && lw.err == nil {
		lw.w, lw.err = lw.open()
	}
	if lw.err != nil {
		return 0, lw.err
	}
	return lw.w.Write(p)
}

func (lw *lazyWriter) Close() error {
	if lw.w == nil {
		return lw.err
	}
	return lw.w.Close()
}
