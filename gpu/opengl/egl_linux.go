//go:build linux

package opengl

/*
#cgo pkg-config: egl
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif
#ifndef EGL_PLATFORM_DEVICE_EXT
#define EGL_PLATFORM_DEVICE_EXT 0x313F
#endif
#ifndef EGL_NO_CONFIG_KHR
#define EGL_NO_CONFIG_KHR ((EGLConfig)0)
#endif

typedef struct {
	EGLDisplay dpy;
	EGLContext ctx;
	EGLSurface surf;
	int ownsDisplay;
	char platform[64];
	char log[2048];
} wbEGL;

static int wbHasExt(const char *list, const char *name) {
	if (list == NULL) return 0;
	size_t n = strlen(name);
	const char *p = list;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return 1;
		p += n;
	}
	return 0;
}

static const char *wbErrName(EGLint e) {
	switch (e) {
	case EGL_SUCCESS: return "EGL_SUCCESS";
	case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
	case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
	case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
	case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
	case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
	case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
	case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE";
	case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
	case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE";
	case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
	case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
	case EGL_BAD_NATIVE_PIXMAP: return "EGL_BAD_NATIVE_PIXMAP";
	case EGL_BAD_NATIVE_WINDOW: return "EGL_BAD_NATIVE_WINDOW";
	case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST";
	}
	return "unknown EGL error";
}

static void wbLog(wbEGL *w, const char *where, const char *what) {
	size_t used = strlen(w->log);
	if (used + 4 >= sizeof(w->log)) return;
	EGLint e = eglGetError();
	snprintf(w->log + used, sizeof(w->log) - used, "%s%s: %s (%s 0x%x)",
		used ? "; " : "", where, what, wbErrName(e), (unsigned)e);
}

// wbContext makes a 4.3 core context current on dpy (already initialised).
static int wbContext(wbEGL *w, EGLDisplay dpy, const char *where) {
	if (!eglBindAPI(EGL_OPENGL_API)) {
		wbLog(w, where, "eglBindAPI(EGL_OPENGL_API) failed");
		return 0;
	}
	const char *ext = eglQueryString(dpy, EGL_EXTENSIONS);
	int surfaceless = wbHasExt(ext, "EGL_KHR_surfaceless_context");
	int noConfig = wbHasExt(ext, "EGL_KHR_no_config_context") || wbHasExt(ext, "EGL_MESA_configless_context");
	EGLConfig cfg = EGL_NO_CONFIG_KHR;
	if (!noConfig || !surfaceless) {
		EGLint attr[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
		EGLint n = 0;
		if (!eglChooseConfig(dpy, attr, &cfg, 1, &n) || n < 1) {
			wbLog(w, where, "no EGL config renders OpenGL to a pbuffer");
			return 0;
		}
	}
	EGLint cattr[] = {
		EGL_CONTEXT_MAJOR_VERSION, 4,
		EGL_CONTEXT_MINOR_VERSION, 3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
		EGL_NONE};
	EGLContext ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, cattr);
	if (ctx == EGL_NO_CONTEXT) {
		wbLog(w, where, "eglCreateContext(OpenGL 4.3 core) failed");
		return 0;
	}
	EGLSurface surf = EGL_NO_SURFACE;
	if (!surfaceless) {
		EGLint pattr[] = {EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE};
		surf = eglCreatePbufferSurface(dpy, cfg, pattr);
		if (surf == EGL_NO_SURFACE) {
			wbLog(w, where, "eglCreatePbufferSurface failed");
			eglDestroyContext(dpy, ctx);
			return 0;
		}
	}
	if (!eglMakeCurrent(dpy, surf, surf, ctx)) {
		wbLog(w, where, "eglMakeCurrent failed");
		if (surf != EGL_NO_SURFACE) eglDestroySurface(dpy, surf);
		eglDestroyContext(dpy, ctx);
		return 0;
	}
	w->dpy = dpy;
	w->ctx = ctx;
	w->surf = surf;
	return 1;
}

static int wbTryDisplay(wbEGL *w, EGLDisplay dpy, const char *where, int owns) {
	if (dpy == EGL_NO_DISPLAY) {
		wbLog(w, where, "no display");
		return 0;
	}
	EGLint major = 0, minor = 0;
	if (!eglInitialize(dpy, &major, &minor)) {
		wbLog(w, where, "eglInitialize failed");
		return 0;
	}
	if (wbContext(w, dpy, where)) {
		w->ownsDisplay = owns;
		snprintf(w->platform, sizeof(w->platform), "%s, EGL %d.%d", where, major, minor);
		return 1;
	}
	if (owns) eglTerminate(dpy);
	return 0;
}

// wbCreate tries, in order: hardware EGL devices (NVIDIA's and Mesa's
// EGL_EXT_device_enumeration; deviceIndex >= 0 picks one), Mesa's
// surfaceless platform (llvmpipe or a render node), then the default display.
static int wbCreate(wbEGL *w, int deviceIndex) {
	memset(w, 0, sizeof(*w));
	const char *client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	PFNEGLGETPLATFORMDISPLAYEXTPROC getPlatformDisplay =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (getPlatformDisplay != NULL && wbHasExt(client, "EGL_EXT_platform_device")) {
		PFNEGLQUERYDEVICESEXTPROC queryDevices = (PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
		PFNEGLQUERYDEVICESTRINGEXTPROC deviceString =
			(PFNEGLQUERYDEVICESTRINGEXTPROC)eglGetProcAddress("eglQueryDeviceStringEXT");
		EGLDeviceEXT devs[16];
		EGLint n = 0;
		if (queryDevices != NULL && queryDevices(16, devs, &n)) {
			for (EGLint i = 0; i < n; i++) {
				if (deviceIndex >= 0 && i != deviceIndex) continue;
				const char *dext = deviceString ? deviceString(devs[i], EGL_EXTENSIONS) : NULL;
				if (deviceIndex < 0 && wbHasExt(dext, "EGL_MESA_device_software")) continue;
				char where[64];
				snprintf(where, sizeof(where), "EGL device %d", (int)i);
				if (wbTryDisplay(w, getPlatformDisplay(EGL_PLATFORM_DEVICE_EXT, devs[i], NULL), where, 1)) return 1;
			}
		}
	}
	if (getPlatformDisplay != NULL && wbHasExt(client, "EGL_MESA_platform_surfaceless")) {
		if (wbTryDisplay(w, getPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL),
				"EGL surfaceless", 1)) return 1;
	}
	return wbTryDisplay(w, eglGetDisplay(EGL_DEFAULT_DISPLAY), "EGL default display", 0);
}

static void wbRelease(wbEGL *w) {
	if (w->dpy == EGL_NO_DISPLAY) return;
	eglMakeCurrent(w->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	if (w->surf != EGL_NO_SURFACE) eglDestroySurface(w->dpy, w->surf);
	eglDestroyContext(w->dpy, w->ctx);
	if (w->ownsDisplay) eglTerminate(w->dpy);
	eglReleaseThread();
	w->dpy = EGL_NO_DISPLAY;
}

static void *wbProc(const char *name) { return (void *)eglGetProcAddress(name); }
*/
import "C"

import (
	"errors"
	"os"
	"strconv"
	"unsafe"
)

// eglContext is a current OpenGL context made with EGL, with no window.
type eglContext struct{ w C.wbEGL }

// newPlatformContext creates the context and makes it current on the calling
// (locked) thread. WORKBENCH_GL_DEVICE=N picks the Nth EGL device.
func newPlatformContext() (platformContext, string, error) {
	dev := -1
	if s := os.Getenv("WORKBENCH_GL_DEVICE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, "", errors.New("WORKBENCH_GL_DEVICE must be a device number (0, 1, ...), got " + strconv.Quote(s))
		}
		dev = n
	}
	c := &eglContext{}
	if C.wbCreate(&c.w, C.int(dev)) == 0 {
		msg := C.GoString(&c.w.log[0])
		if msg == "" {
			msg = "no EGL display"
		}
		return nil, "", errors.New("cannot create an OpenGL 4.3 core context with EGL: " + msg)
	}
	return c, C.GoString(&c.w.platform[0]), nil
}

func (c *eglContext) procAddr(name string) unsafe.Pointer {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.wbProc(cs)
}

func (c *eglContext) release() { C.wbRelease(&c.w) }
