#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU (or any GPU with OpenGL 4.3):
# runs the GL backend's conformance suite, then the benchmarks, and writes
# the figures to a file (default gpu-bench-results.txt):
#   - SGEMM 1024/2048/4096: our GL kernel vs cuBLAS FP32 (TF32 off) through
#     PyTorch (scripts/gpu_bench_cublas.py);
#   - ref-cnn training step (batch 64, Adam): GL vs our CPU backend, images/s
#     (and gl-im2col: GL without the implicit GEMM and fused kernels);
#   - convolution forward+backward on ref-cnn and ResNet-50 layers (batch 16):
#     the implicit-GEMM kernels vs the im2col+GEMM+col2im path, both on GL;
#   - cifar-speedrun's network (models.Speedrun, ReLU), one training step at
#     batch 256: GL vs our CPU backend, images/s;
#   - ResNet-50 at 224x224, batch 16: forward and training step, GL (and its
#     im2col path) vs our CPU backend, as `bench --workload resnet50` times.
#
#   scripts/gpu-bench.sh [OUTPUT]
#
# Needs Go (or WORKBENCH_GL_TEST_BIN: a test binary built elsewhere with
# `go test -c -o opengl.test ./gpu/opengl`), the GPU's OpenGL/EGL driver, and
# for the cuBLAS peer /usr/bin/python3 with a CUDA build of torch
# (WORKBENCH_PYTHON overrides the interpreter). WORKBENCH_GEMM_SIZES,
# WORKBENCH_BENCH_STEPS, WORKBENCH_CONV_BATCH, WORKBENCH_SPEEDRUN_BATCH and
# WORKBENCH_RESNET_BATCH change the sizes, the number of ref-cnn steps and
# the batches.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-bench-results.txt}
py=${WORKBENCH_PYTHON:-/usr/bin/python3}
sizes=${WORKBENCH_GEMM_SIZES:-1024,2048,4096}
steps=${WORKBENCH_BENCH_STEPS:-30}
conv_batch=${WORKBENCH_CONV_BATCH:-16}
speedrun_batch=${WORKBENCH_SPEEDRUN_BATCH:-256}
resnet_batch=${WORKBENCH_RESNET_BATCH:-16}
export PATH="$PATH:/usr/local/go/bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bin=${WORKBENCH_GL_TEST_BIN:-}
if [ -z "$bin" ]; then
  echo "== building the GL backend's tests" >&2
  go test -c -o "$tmp/opengl.test" ./gpu/opengl
  bin=$tmp/opengl.test
fi

{
  echo "# Workbench GL backend figures, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# command: scripts/gpu-bench.sh $*"
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "# gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
  fi
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) threads"
} >"$out"

echo "== conformance suite and every GL backend test (CI=true: no context is a failure)" >&2
start=$(date +%s)
if CI=true "$bin" -test.count=1 -test.v -test.run . >"$tmp/tests.txt" 2>&1; then
  verdict=PASS
else
  verdict=FAIL
fi
grep -m1 'opened in' "$tmp/tests.txt" | sed 's/^.*opened in [^:]*: /renderer: /' >>"$out" || true
echo "conformance: $verdict ($(( $(date +%s) - start )) s)" >>"$out"
if command -v nvidia-smi >/dev/null 2>&1 && grep -qiE '^renderer: (llvmpipe|softpipe)' "$out"; then
  msg="an NVIDIA GPU is present but EGL gave Mesa's software renderer: install the driver's EGL library (libEGL_nvidia, with glvnd's /usr/share/glvnd/egl_vendor.d/10_nvidia.json); in a container set NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics"
  echo "error: $msg" >>"$out"
  echo "error: $msg" >&2
  exit 1
fi
if [ "$verdict" = FAIL ]; then
  grep -E -- '--- FAIL|FAIL' "$tmp/tests.txt" | head -40 >>"$out"
  cat "$tmp/tests.txt" >&2
  echo "the conformance suite failed; figures not taken (see $out)" >&2
  exit 1
fi

echo "== SGEMM on GL: $sizes" >&2
WORKBENCH_GEMM_SIZES=$sizes "$bin" -test.run X -test.bench 'BenchmarkSgemm' -test.benchtime 10x >"$tmp/sgemm.txt" 2>&1
awk '/^BenchmarkSgemm\// { split($1, a, "/"); sub(/-[0-9]+$/, "", a[2]); for (i = 1; i <= NF; i++) if ($(i+1) == "GFLOPS") print "sgemm_gl " a[2] " " $i }' "$tmp/sgemm.txt" >"$tmp/gl.txt"
cat "$tmp/gl.txt" >>"$out"

echo "== SGEMM with cuBLAS FP32 (TF32 off)" >&2
if "$py" scripts/gpu_bench_cublas.py ${sizes//,/ } >"$tmp/cublas.txt" 2>"$tmp/cublas.err"; then
  grep '^# device' "$tmp/cublas.txt" >>"$out" || true
  grep '^cublas_fp32' "$tmp/cublas.txt" >>"$out"
  awk 'NR == FNR { gl[$2] = $3; next } /^cublas_fp32/ && ($2 in gl) { printf "sgemm_ratio_gl_over_cublas %s %.3f\n", $2, gl[$2] / $3 }' \
    "$tmp/gl.txt" "$tmp/cublas.txt" >>"$out"
else
  echo "cublas: not measured ($(tr '\n' ' ' <"$tmp/cublas.err"))" >>"$out"
fi

echo "== ref-cnn training step, GL and CPU" >&2
"$bin" -test.run X -test.bench 'BenchmarkRefCNNStep' -test.benchtime "${steps}x" >"$tmp/refcnn.txt" 2>&1
awk '/^BenchmarkRefCNNStep\// { split($1, a, "/"); sub(/-[0-9]+$/, "", a[2]); for (i = 1; i <= NF; i++) if ($(i+1) == "images/s") print "refcnn_images_per_sec " a[2] " " $i }' \
  "$tmp/refcnn.txt" | tee "$tmp/ref.txt" >>"$out"
awk '{ v[$2] = $3 } END { if (v["cpu"] > 0) printf "refcnn_ratio_gl_over_cpu %.2f\n", v["gl"] / v["cpu"]
  if (v["gl-im2col"] > 0) printf "refcnn_ratio_gl_over_gl_im2col %.2f\n", v["gl"] / v["gl-im2col"] }' "$tmp/ref.txt" >>"$out"

echo "== convolution forward+backward on GL: implicit GEMM and im2col, batch $conv_batch" >&2
WORKBENCH_CONV_BATCH=$conv_batch "$bin" -test.run X -test.bench 'BenchmarkConv/' -test.benchtime 10x >"$tmp/conv.txt" 2>&1
# conv_ms LAYER/BATCH PATH milliseconds, then the im2col path's time over
# the implicit GEMM's (above 1: the implicit GEMM is faster).
awk '/^BenchmarkConv\// { split($1, a, "/"); sub(/-[0-9]+$/, "", a[4]); for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") printf "conv_ms %s/%s %s %.3f\n", a[2], a[3], a[4], $i / 1e6 }' \
  "$tmp/conv.txt" | tee "$tmp/convms.txt" >>"$out"
awk '{ t[$2 " " $3] = $4; l[$2] = 1 } END { for (k in l) if (t[k " implicit"] > 0) printf "conv_ratio_im2col_over_implicit %s %.2f\n", k, t[k " im2col"] / t[k " implicit"] }' \
  "$tmp/convms.txt" | sort >>"$out"

echo "== cifar-speedrun network training step, GL and CPU, batch $speedrun_batch" >&2
WORKBENCH_SPEEDRUN_BATCH=$speedrun_batch "$bin" -test.run X -test.bench 'BenchmarkSpeedrunStep' -test.benchtime 5x >"$tmp/speedrun.txt" 2>&1
awk '/^BenchmarkSpeedrunStep\// { split($1, a, "/"); sub(/-[0-9]+$/, "", a[2]); for (i = 1; i <= NF; i++) if ($(i+1) == "images/s") print "speedrun_images_per_sec " a[2] " " $i }' \
  "$tmp/speedrun.txt" | tee "$tmp/sr.txt" >>"$out"
awk '{ v[$2] = $3 } END { if (v["cpu"] > 0) printf "speedrun_ratio_gl_over_cpu %.2f\n", v["gl"] / v["cpu"]
  if (v["gl-im2col"] > 0) printf "speedrun_ratio_gl_over_gl_im2col %.2f\n", v["gl"] / v["gl-im2col"] }' "$tmp/sr.txt" >>"$out"

echo "== ResNet-50 at 224x224, forward and training step, GL and CPU, batch $resnet_batch" >&2
WORKBENCH_RESNET_BATCH=$resnet_batch "$bin" -test.run X -test.bench 'BenchmarkResNet50' -test.benchtime 3x >"$tmp/resnet.txt" 2>&1
# resnet50_images_per_sec BATCH PASS BACKEND value, then GL over the CPU
# and over its im2col path.
awk '/^BenchmarkResNet50\// { split($1, a, "/"); sub(/-[0-9]+$/, "", a[4]); for (i = 1; i <= NF; i++) if ($(i+1) == "images/s") print "resnet50_images_per_sec " a[2] " " a[3] " " a[4] " " $i }' \
  "$tmp/resnet.txt" | tee "$tmp/r50.txt" >>"$out"
awk '{ v[$2 " " $3 " " $4] = $5; k[$2 " " $3] = 1 } END { for (p in k) { if (v[p " cpu"] > 0) printf "resnet50_ratio_gl_over_cpu %s %.2f\n", p, v[p " gl"] / v[p " cpu"]
  if (v[p " gl-im2col"] > 0) printf "resnet50_ratio_gl_over_gl_im2col %s %.2f\n", p, v[p " gl"] / v[p " gl-im2col"] } }' "$tmp/r50.txt" | sort >>"$out"

echo "== figures written to $out" >&2
cat "$out"
