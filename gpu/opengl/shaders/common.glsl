// Included by every kernel, after "#version 430" and the kernel's defines.
// The U_* and B_* op codes are generated from engine/backend's constants.

const float NAN_ = uintBitsToFloat(0x7fc00000u);
const float INF_ = uintBitsToFloat(0x7f800000u);

// gridStride is the number of invocations in the whole dispatch, for
// grid-stride loops over more elements than one dispatch can cover (a macro:
// gl_WorkGroupSize exists only after the kernel's layout declaration).
#define gridStride() int(gl_NumWorkGroups.x * gl_WorkGroupSize.x)

// kadd adds v to the compensated sum (s, c) (Kahan): a long float32 sum
// then loses about one ulp instead of growing with its length. precise
// keeps the compiler from reassociating it away.
void kadd(inout float s, inout float c, float v) {
	precise float y = v - c;
	precise float t = s + y;
	precise float e = (t - s) - y;
	c = e;
	s = t;
}

// expm1_ keeps full relative precision near zero (ELU, SELU).
float expm1_(float x) {
	if (abs(x) < 0.1) {
		return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0))))));
	}
	return exp(x) - 1.0;
}

// tanh_ is Cephes' tanhf: exact limits for large |x| (no Inf/Inf) and a
// polynomial near zero.
float tanh_(float x) {
	float z = abs(x);
	if (z > 0.625) {
		float s = exp(2.0 * z);
		float t = 1.0 - 2.0 / (s + 1.0);
		return x < 0.0 ? -t : t;
	}
	float q = x * x;
	return ((((-5.70498872745e-3 * q + 2.06390887954e-2) * q - 5.37397155531e-2) * q +
		1.33314422036e-1) * q - 3.33332819422e-1) * q * x + x;
}

float sigmoid_(float x) {
	if (x >= 0.0) {
		return 1.0 / (1.0 + exp(-x));
	}
	float e = exp(x);
	return e / (1.0 + e);
}

// erfc_ is Numerical Recipes' erfcc (fractional error below 1.2e-7), so
// GELU keeps its relative precision in the negative tail.
float erfc_(float x) {
	float z = abs(x);
	float t = 1.0 / (1.0 + 0.5 * z);
	float r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
		t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
		t * (-0.82215223 + t * 0.17087277)))))))));
	return x >= 0.0 ? r : 2.0 - r;
}

// phi_ is the standard normal CDF.
float phi_(float x) { return 0.5 * erfc_(-x * 0.70710678118654752); }

float pow_(float x, float y) {
	if (y == 0.0) return 1.0;
	if (y == 1.0) return x;
	if (y == 2.0) return x * x;
	if (y == 0.5) return sqrt(x);
	if (y == -1.0) return 1.0 / x;
	if (isnan(x) || isnan(y)) return NAN_;
	if (x == 0.0) return y > 0.0 ? 0.0 : INF_;
	float r = exp2(y * log2(abs(x)));
	if (x < 0.0) {
		if (floor(y) != y) return NAN_;
		if (mod(y, 2.0) == 1.0) r = -r;
	}
	return r;
}

const float SELU_ALPHA = 1.6732632423543772848170429916717;
const float SELU_SCALE = 1.0507009873554804934193349852946;

float unary_(int op, float x, float a, float b) {
	switch (op) {
	case U_NEG: return -x;
	case U_EXP: return exp(x);
	case U_LOG: return log(x);
	case U_SQRT: return sqrt(x);
	case U_ABS: return abs(x);
	case U_SQUARE: return x * x;
	case U_RECIP: return 1.0 / x;
	case U_RELU: return (x > 0.0 || isnan(x)) ? x : 0.0;
	case U_LEAKY_RELU: return x > 0.0 ? x : a * x;
	case U_ELU: return x > 0.0 ? x : a * expm1_(x);
	case U_SELU: return x > 0.0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * expm1_(x);
	case U_GELU: return x * phi_(x);
	case U_SIGMOID: return sigmoid_(x);
	case U_TANH: return tanh_(x);
	case U_SIGN: return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
	case U_POW: return pow_(x, a);
	case U_ADD_SCALAR: return x + a;
	case U_MUL_SCALAR: return x * a;
	case U_CLAMP: return isnan(x) ? x : min(max(x, a), b);
	}
	return NAN_;
}

// unaryDeriv_ is f'(x) given x and y = f(x), as the CPU backend defines it.
float unaryDeriv_(int op, float x, float y, float a, float b) {
	switch (op) {
	case U_NEG: return -1.0;
	case U_EXP: return y;
	case U_LOG: return 1.0 / x;
	case U_SQRT: return 0.5 / y;
	case U_ABS: return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
	case U_SIGN: return 0.0;
	case U_SQUARE: return 2.0 * x;
	case U_RECIP: return -y * y;
	case U_RELU: return x > 0.0 ? 1.0 : 0.0;
	case U_LEAKY_RELU: return x > 0.0 ? 1.0 : a;
	case U_ELU: return x > 0.0 ? 1.0 : y + a;
	case U_SELU: return x > 0.0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
	case U_GELU: return phi_(x) + x * exp(-0.5 * x * x) * 0.39894228040143268;
	case U_SIGMOID: return y * (1.0 - y);
	case U_TANH: return 1.0 - y * y;
	case U_POW: return a * pow_(x, a - 1.0);
	case U_ADD_SCALAR: return 1.0;
	case U_MUL_SCALAR: return a;
	case U_CLAMP: return (x < a || x > b) ? 0.0 : 1.0;
	}
	return NAN_;
}

float binary_(int op, float a, float b) {
	switch (op) {
	case B_ADD: return a + b;
	case B_SUB: return a - b;
	case B_MUL: return a * b;
	case B_DIV: return a / b;
	case B_MAX: return (isnan(a) || isnan(b)) ? NAN_ : max(a, b);
	case B_MIN: return (isnan(a) || isnan(b)) ? NAN_ : min(a, b);
	case B_GREATER_MASK: return a > b ? 1.0 : 0.0;
	}
	return NAN_;
}
