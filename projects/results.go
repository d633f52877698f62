package projects

import (
	"maps"
	"slices"
)

// LayerStat is one layer's statistics as a run last saw them (the Train
// pane's Layers tab), kept with the run so that its diagnosis reads the
// same after a reopen. UpdateRatio is the layer's typical (median)
// update-to-weight ratio over the run.
type LayerStat struct {
	Node        string  `json:"node"`
	Op          string  `json:"op"`
	Mean        float64 `json:"mean"`
	Std         float64 `json:"std"`
	Zero        float64 `json:"zero,omitempty"`
	Saturated   float64 `json:"saturated,omitempty"`
	Dead        float64 `json:"dead,omitempty"`
	GradStd     float64 `json:"grad_std,omitempty"`
	HasWeight   bool    `json:"has_weight,omitempty"`
	UpdateRatio float64 `json:"update_ratio,omitempty"`
	// NonFinite is set when the activations were not finite (a diverged
	// run); the float fields are then 0, as JSON cannot hold NaN.
	NonFinite bool `json:"non_finite,omitempty"`
}

// Metric is a float64 that may be NaN or infinite (an unfinished or
// diverged trial); the manifest writes those as "NaN", "+Inf", "-Inf".
type Metric float64

// MarshalJSON writes non-finite values as strings.
func (m Metric) MarshalJSON() ([]byte, error) { return appendFloat(nil, float64(m), 64), nil }

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Metric) UnmarshalJSON(b []byte) error {
	f, err := parseFloat(b, 64)
	*m = Metric(f)
	return err
}

// Results are what the app computed besides runs (format 3): searches,
// babysitting, classic baselines and embedding maps, so that a reopened
// project shows them as they were. Each pane records its own.
type Results struct {
	Search  *SearchResult   `json:"search,omitempty"`
	Babysit []BabysitStep   `json:"babysit,omitempty"`
	Classic []ClassicResult `json:"classic,omitempty"`
	KNN     *KNNResult      `json:"knn,omitempty"`
	Linear  *LinearResult   `json:"linear,omitempty"`
	Maps    []EmbeddingMap  `json:"maps,omitempty"`
}

// SearchResult is the newest hyper-parameter search of the Train pane.
type SearchResult struct {
	Refined bool          `json:"refined,omitempty"`
	Trials  []SearchTrial `json:"trials"`
	// Settings are the search form's fields as the user left them
	// ("mode", "trials", "epochs", "lr_lo", ...), put back on reopen.
	Settings map[string]string `json:"settings,omitempty"`
}

// SearchTrial is one configuration of a search and how it did.
type SearchTrial struct {
	Params    map[string]float64 `json:"params"`
	ValAcc    Metric             `json:"val_acc"`
	ValLoss   Metric             `json:"val_loss"`
	TrainAcc  Metric             `json:"train_acc"`
	TrainLoss Metric             `json:"train_loss"`
	Seconds   float64            `json:"seconds,omitempty"`
	Diverged  bool               `json:"diverged,omitempty"`
	Error     string             `json:"error,omitempty"`
	Done      bool               `json:"done,omitempty"`
	Epochs    []EpochMetrics     `json:"epochs,omitempty"`
	// Losses are the trial's per-iteration losses, thinned to at most
	// MaxLosses.
	Losses []Metric `json:"losses,omitempty"`
}

// BabysitStep is the outcome of one babysitting step ("initial",
// "overfit", "finder"): whether it passed and what it said; Value is the
// step's figure (the finder's suggested rate).
type BabysitStep struct {
	Step  string  `json:"step"`
	OK    bool    `json:"ok"`
	Text  string  `json:"text"`
	Value float64 `json:"value,omitempty"`
}

// ClassicResult is one row of the Classic pane's overview.
type ClassicResult struct {
	// Data is the dataset (its spec) the result was computed on.
	Data   string `json:"data,omitempty"`
	Method string `json:"method"`
	Input  string `json:"input"`
	Train  int    `json:"train"`
	// Val is the validation (or cross-validation) accuracy, -1 when none.
	Val    float64 `json:"val"`
	Test   float64 `json:"test"`
	Detail string  `json:"detail,omitempty"`
}

// KNNResult is the newest k-NN cross-validation: accuracy per fold for
// each k.
type KNNResult struct {
	Data    string     `json:"data,omitempty"`
	Metric  string     `json:"metric"`
	Folds   int        `json:"folds"`
	Train   int        `json:"train"`
	Test    int        `json:"test"`
	Seed    int64      `json:"seed"`
	BestK   int        `json:"best_k"`
	TestAcc float64    `json:"test_acc"`
	CV      []KNNPoint `json:"cv"`
	// Neighbours are the nearest training images (indices into the
	// seeded training subset, nearest first) of the test images the pane
	// shows (indices into the seeded test subset).
	Neighbours []KNNNeighbours `json:"neighbours,omitempty"`
}

// KNNNeighbours is one test image's nearest training images.
type KNNNeighbours struct {
	Test  int   `json:"test"`
	Train []int `json:"train"`
}

// LinearResult is the Classic pane's newest linear-classifier search: its
// settings, every setting tried (best first) and the best classifier's
// class templates.
type LinearResult struct {
	Data     string `json:"data,omitempty"`
	Loss     string `json:"loss"`
	Features string `json:"features"`
	// Settings are the form's numbers: train, val, search, iters, lr_lo,
	// lr_hi, reg_lo, reg_hi.
	Settings map[string]float64 `json:"settings,omitempty"`
	Trials   []LinearTrial      `json:"trials"`
	TestAcc  float64            `json:"test_acc"`
	Train    int                `json:"train"`
	Val      int                `json:"val"`
	Test     int                `json:"test"`
	// Templates are the best classifier's class templates (pixel features
	// only): one C×H×W image of bytes per class, row-major.
	Templates [][]byte `json:"templates,omitempty"`
	C         int      `json:"c,omitempty"`
	H         int      `json:"h,omitempty"`
	W         int      `json:"w,omitempty"`
}

// LinearTrial is one setting of a linear-classifier search.
type LinearTrial struct {
	LR       float64 `json:"lr"`
	Reg      float64 `json:"reg"`
	TrainAcc float64 `json:"train_acc"`
	ValAcc   float64 `json:"val_acc"`
	Err      string  `json:"error,omitempty"`
}

// KNNPoint is one k's cross-validation.
type KNNPoint struct {
	K     int       `json:"k"`
	Folds []float64 `json:"folds"`
	Mean  float64   `json:"mean"`
	Std   float64   `json:"std"`
}

// EmbeddingMap is a 2-D map of feature vectors (t-SNE, PCA): the points'
// coordinates, each with its image's index in the split and label.
type EmbeddingMap struct {
	Method string `json:"method"`
	Layer  string `json:"layer"`
	Split  string `json:"split,omitempty"`
	// Run is the run whose weights gave the features ("" for the
	// project's current weights).
	Run    string    `json:"run,omitempty"`
	KL     float64   `json:"kl,omitempty"`
	X      []float32 `json:"x"`
	Y      []float32 `json:"y"`
	Index  []int     `json:"index"`
	Labels []int     `json:"labels"`
	// Settings are the method's settings (perplexity, iterations...).
	Settings map[string]float64 `json:"settings,omitempty"`
}

// clone is a deep copy.
func (r Results) clone() Results {
	if r.Search != nil {
		s := *r.Search
		s.Trials = slices.Clone(s.Trials)
		for i := range s.Trials {
			t := &s.Trials[i]
			t.Params = maps.Clone(t.Params)
			t.Epochs = slices.Clone(t.Epochs)
			t.Losses = slices.Clone(t.Losses)
		}
		s.Settings = maps.Clone(s.Settings)
		r.Search = &s
	}
	r.Babysit = slices.Clone(r.Babysit)
	r.Classic = slices.Clone(r.Classic)
	if r.KNN != nil {
		k := *r.KNN
		k.CV = slices.Clone(k.CV)
		for i := range k.CV {
			k.CV[i].Folds = slices.Clone(k.CV[i].Folds)
		}
		k.Neighbours = slices.Clone(k.Neighbours)
		for i := range k.Neighbours {
			k.Neighbours[i].Train = slices.Clone(k.Neighbours[i].Train)
		}
		r.KNN = &k
	}
	if r.Linear != nil {
		l := *r.Linear
		l.Settings = maps.Clone(l.Settings)
		l.Trials = slices.Clone(l.Trials)
		l.Templates = slices.Clone(l.Templates)
		for i := range l.Templates {
			l.Templates[i] = slices.Clone(l.Templates[i])
		}
		r.Linear = &l
	}
	r.Maps = slices.Clone(r.Maps)
	for i := range r.Maps {
		m := &r.Maps[i]
		m.X, m.Y, m.Index, m.Labels = slices.Clone(m.X), slices.Clone(m.Y), slices.Clone(m.Index), slices.Clone(m.Labels)
		m.Settings = maps.Clone(m.Settings)
	}
	return r
}
