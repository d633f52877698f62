package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Models exported by PyTorch's torch.onnx.export import and give PyTorch's
// outputs. The reference networks have random weights and running
// statistics gathered on random batches (so every batch norm matters and
// the logits stay near unit scale), in eval mode.

// exportCase makes a torchref case that builds a network with `build`
// (Python, assigning m), exports it to path at the given opset and returns
// its output on x.
func exportCase(name, build, path string, opset int, x []float32, shape []int) torchref.Case {
	code := fmt.Sprintf(`import torchvision
torch.manual_seed(0)
%s
for mod in m.modules():
    if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
        mod.momentum = None
        with torch.no_grad():
            mod.weight.uniform_(0.5, 1.5)
            mod.bias.uniform_(-0.2, 0.2)
m.train()
with torch.no_grad():
    for _ in range(2):
        m(torch.randn(4, *x.shape[1:]))
m.eval()
torch.onnx.export(m, x, %q, opset_version=%s, input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}})
with torch.no_grad():
    out = m(x)
`, build, path, opsetArg(opset))
	return torchref.Case{Name: name, Code: code, Float32: true,
		Inputs: []torchref.Input{{Name: "x", Shape: shape, Data: x}}}
}

// opsetArg is the opset_version argument: 0 leaves PyTorch's default.
func opsetArg(opset int) string {
	if opset == 0 {
		return "None"
	}
	return fmt.Sprint(opset)
}

type exported struct {
	name, build string
	input       []int
	batch       int
	opset       int
}

var torchModels = []exported{
	{"resnet18", "m = torchvision.models.resnet18()", []int{3, 224, 224}, 1, 13},
	{"mobilenet_v2", "m = torchvision.models.mobilenet_v2()", []int{3, 224, 224}, 1, 13},
	// Older opsets and the ops the torchvision models lack: ceil-mode and
	// asymmetric pooling, count_include_pad, LRN, PReLU, instance norm,
	// Softplus, Hardswish/Hardsigmoid, LeakyReLU, ELU, clamp, nearest
	// upsampling (Upsample at opset 9, Resize after), view(N,-1)
	// (Shape/Gather/Unsqueeze/Concat into Reshape), Sigmoid/Tanh gates.
	{"ops-opset9", opsNet, []int{3, 20, 20}, 3, 9},
	{"ops-opset13", opsNet, []int{3, 20, 20}, 3, 13},
	{"ops-default-opset", opsNet, []int{3, 20, 20}, 3, 0}, // 14 for Debian's torch 1.13
	{"ops-opset17", opsNet, []int{3, 20, 20}, 3, 17},
	// Reflection padding (nn.ReflectionPad2d, F.pad mode='reflect'): Pad
	// with attributes at opset 9, with a pads input after.
	{"reflect-pad-opset9", reflectNet, []int{3, 10, 12}, 2, 9},
	{"reflect-pad-opset17", reflectNet, []int{3, 10, 12}, 2, 17},
}

const reflectNet = `class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ReflectionPad2d(2)
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 4, 3, stride=2)
    def forward(self, x):
        x = F.relu(self.conv1(self.pad(x)))
        x = self.conv2(F.pad(x, (1, 0, 2, 1), mode='reflect'))
        return x.view(x.size(0), -1)
m = Net()`

const opsNet = `class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(3, 2, padding=1, ceil_mode=True)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.prelu = nn.PReLU(8)
        self.conv_up = nn.Conv2d(8, 8, 5, stride=3, padding=1)
        self.pool2 = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False)
        self.conv3 = nn.Conv2d(8, 6, 1)
        self.fc = nn.Linear(6 * 5 * 5, 12)
        self.bn2 = nn.BatchNorm1d(12)
        self.fc2 = nn.Linear(12, 5)
    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.pool1(x)
        x = F.leaky_relu(self.conv2(x), 0.2)
        x = self.prelu(self.inorm(x))
        x = self.conv_up(F.interpolate(x, scale_factor=3, mode='nearest'))
        x = F.pad(x, (0, 2, 2, 0))
        x = self.pool2(x)
        c = self.conv3(x)
        x = F.hardswish(c) + F.softplus(F.elu(c, 0.7))
        x = torch.clamp(x, -0.5, 2.0)
        x = x.view(x.size(0), -1)
        x = torch.sigmoid(self.bn2(self.fc(x))) + torch.tanh(F.hardsigmoid(self.fc(x)))
        return F.log_softmax(self.fc2(x), 1)
m = Net()`

func TestTorchExportsImport(t *testing.T) {
	dir := t.TempDir()
	var cases []torchref.Case
	inputs := map[string][]float32{}
	models := torchModels
	if testing.Short() {
		models = models[2:] // the full run covers the torchvision models at 224x224
	}
	for k, e := range models {
		shape := append([]int{e.batch}, e.input...)
		x := torchref.Normal(uint64(k+1), numel(shape), 1)
		inputs[e.name] = x
		cases = append(cases, exportCase(e.name, e.build, filepath.Join(dir, e.name+".onnx"), e.opset, x, shape))
	}
	res := torchref.Run(t, cases)
	for _, e := range models {
		t.Run(e.name, func(t *testing.T) {
			r := res[e.name]
			if r == nil {
				t.Fatal("no PyTorch result")
			}
			data, err := os.ReadFile(filepath.Join(dir, e.name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Import(data)
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]int{}
			for _, n := range m.Graph.Nodes {
				ops[n.Op]++
			}
			t.Logf("engine ops: %v", ops)
			if e.opset == 0 && m.Opset < 13 || e.opset != 0 && m.Opset != e.opset {
				t.Errorf("opset %d, exported %d", m.Opset, e.opset)
			}
			b := cpu.New()
			nm, err := m.Build(b)
			if err != nil {
				t.Fatal(err)
			}
			shape := append([]int{e.batch}, e.input...)
			out := nm.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(b, inputs[e.name], shape...)))
			got := out.Value.Data()
			worst, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			for i, g := range got {
				if i < len(r.Out.Data) {
					worst = math.Max(worst, math.Abs(float64(g)-r.Out.Data[i]))
					lo, hi = math.Min(lo, r.Out.Data[i]), math.Max(hi, r.Out.Data[i])
				}
			}
			t.Logf("%s (opset %d, %d layers, %d params): PyTorch → ONNX → Workbench, max |diff| %.3g over %d logits (PyTorch's span %.3g to %.3g)",
				e.name, m.Opset, len(m.Graph.Nodes), m.Params(), worst, len(got), lo, hi)
			if hi-lo < 0.1 {
				t.Errorf("PyTorch's logits hardly vary (%g to %g): the comparison would prove little", lo, hi)
			}
			torchref.Compare(t, "logits", got, out.Shape(), r.Out, torchref.Tol{Atol: 1e-4, Rtol: 0})
		})
	}
}
