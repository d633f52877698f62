//go:build windows

package opengl

/*
#cgo LDFLAGS: -lopengl32 -lgdi32 -luser32
#define WIN32_LEAN_AND_MEAN 1
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WB_WGL_CONTEXT_MAJOR_VERSION_ARB 0x2091
#define WB_WGL_CONTEXT_MINOR_VERSION_ARB 0x2092
#define WB_WGL_CONTEXT_PROFILE_MASK_ARB 0x9126
#define WB_WGL_CONTEXT_CORE_PROFILE_BIT_ARB 0x00000001
typedef HGLRC(WINAPI *wbCreateContextAttribs)(HDC, HGLRC, const int *);

typedef struct {
	HWND wnd;
	HDC dc;
	HGLRC rc;
	char log[512];
} wbWGL;

static LRESULT CALLBACK wbWndProc(HWND h, UINT m, WPARAM w, LPARAM l) { return DefWindowProcA(h, m, w, l); }

static void wbRelease(wbWGL *g) {
	wglMakeCurrent(NULL, NULL);
	if (g->rc) wglDeleteContext(g->rc);
	if (g->dc) ReleaseDC(g->wnd, g->dc);
	if (g->wnd) DestroyWindow(g->wnd);
	g->rc = NULL;
	g->dc = NULL;
	g->wnd = NULL;
}

static int wbFail(wbWGL *g, const char *what) {
	snprintf(g->log, sizeof(g->log), "%s (Windows error %lu)", what, (unsigned long)GetLastError());
	wbRelease(g);
	return 0;
}

// wbCreate makes a hidden (never shown) window, a legacy context on it to
// reach wglCreateContextAttribsARB, then the 4.3 core context, current on
// the calling thread.
static int wbCreate(wbWGL *g) {
	memset(g, 0, sizeof(*g));
	HINSTANCE inst = GetModuleHandleA(NULL);
	WNDCLASSA wc;
	memset(&wc, 0, sizeof(wc));
	wc.style = CS_OWNDC;
	wc.lpfnWndProc = wbWndProc;
	wc.hInstance = inst;
	wc.lpszClassName = "WorkbenchGLCompute";
	RegisterClassA(&wc); // already registered by an earlier attempt: fine
	g->wnd = CreateWindowExA(0, wc.lpszClassName, "Workbench compute", WS_OVERLAPPEDWINDOW,
		0, 0, 1, 1, NULL, NULL, inst, NULL);
	if (g->wnd == NULL) return wbFail(g, "CreateWindowEx failed");
	g->dc = GetDC(g->wnd);
	if (g->dc == NULL) return wbFail(g, "GetDC failed");
	PIXELFORMATDESCRIPTOR pfd;
	memset(&pfd, 0, sizeof(pfd));
	pfd.nSize = sizeof(pfd);
	pfd.nVersion = 1;
	pfd.dwFlags = PFD_DRAW_TO_WINDOW | PFD_SUPPORT_OPENGL | PFD_DOUBLEBUFFER;
	pfd.iPixelType = PFD_TYPE_RGBA;
	pfd.cColorBits = 32;
	pfd.iLayerType = PFD_MAIN_PLANE;
	int pf = ChoosePixelFormat(g->dc, &pfd);
	if (pf == 0 || !SetPixelFormat(g->dc, pf, &pfd)) return wbFail(g, "no OpenGL pixel format");
	HGLRC legacy = wglCreateContext(g->dc);
	if (legacy == NULL) return wbFail(g, "wglCreateContext failed");
	if (!wglMakeCurrent(g->dc, legacy)) {
		wglDeleteContext(legacy);
		return wbFail(g, "wglMakeCurrent failed");
	}
	wbCreateContextAttribs create = (wbCreateContextAttribs)wglGetProcAddress("wglCreateContextAttribsARB");
	if (create != NULL) {
		int attr[] = {
			WB_WGL_CONTEXT_MAJOR_VERSION_ARB, 4,
			WB_WGL_CONTEXT_MINOR_VERSION_ARB, 3,
			WB_WGL_CONTEXT_PROFILE_MASK_ARB, WB_WGL_CONTEXT_CORE_PROFILE_BIT_ARB,
			0};
		g->rc = create(g->dc, NULL, attr);
	}
	wglMakeCurrent(NULL, NULL);
	wglDeleteContext(legacy);
	if (create == NULL) return wbFail(g, "the driver lacks WGL_ARB_create_context");
	if (g->rc == NULL) return wbFail(g, "wglCreateContextAttribsARB(OpenGL 4.3 core) failed");
	if (!wglMakeCurrent(g->dc, g->rc)) return wbFail(g, "wglMakeCurrent(4.3 context) failed");
	return 1;
}

static HMODULE wbGL32;

// wbProc finds a GL function: wglGetProcAddress for extensions and
// post-1.1 functions (it returns small sentinels on failure), opengl32.dll
// for 1.1 ones.
static void *wbProc(const char *name) {
	void *p = (void *)wglGetProcAddress(name);
	if (p == NULL || p == (void *)1 || p == (void *)2 || p == (void *)3 || p == (void *)-1) {
		if (wbGL32 == NULL) wbGL32 = LoadLibraryA("opengl32.dll");
		p = wbGL32 ? (void *)GetProcAddress(wbGL32, name) : NULL;
	}
	return p;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// wglContext is an OpenGL context on a hidden window, which Windows needs
// to make any context.
type wglContext struct{ w C.wbWGL }

// newPlatformContext creates the context and makes it current on the
// calling (locked) thread.
func newPlatformContext() (platformContext, string, error) {
	c := &wglContext{}
	if C.wbCreate(&c.w) == 0 {
		return nil, "", errors.New("cannot create an OpenGL 4.3 core context with WGL: " + C.GoString(&c.w.log[0]))
	}
	return c, "WGL, hidden window", nil
}

func (c *wglContext) procAddr(name string) unsafe.Pointer {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.wbProc(cs)
}

func (c *wglContext) release() { C.wbRelease(&c.w) }
