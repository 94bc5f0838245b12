// Clang thread-safety annotations (no-ops elsewhere), as leveldb's port/thread_annotations.h.
#pragma once

#if defined(__clang__)
#define DKV_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define DKV_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) DKV_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY DKV_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) DKV_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) DKV_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) DKV_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) DKV_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) DKV_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) DKV_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS DKV_THREAD_ANNOTATION(no_thread_safety_analysis)
