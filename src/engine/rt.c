/*
 * rt.c — pvfhost's wasm2c runtime (what wabt's wasm-rt-impl.c provides,
 * written for a host that must never abort and never leak).
 *
 * Contents:
 *   1. trap state: one sigjmp_buf target per running call, the counter of
 *      logical stack cost the generated code keeps (wasm2c's call-depth
 *      counter, engine/stacklimit.c; process-global: one call at a time per
 *      process), the trap message buffer;
 *   2. the fault handler: a SIGSEGV/SIGBUS inside a live memory reservation
 *      while wasm code runs is an out-of-bounds trap; any other fault is
 *      handed back to the previous handler (a host bug is not a trap). It is
 *      checked (one sigaction call) before every guarded run, and installed
 *      again if something replaced it;
 *   3. function-type registry (shared by all modules in the process, so
 *      call_indirect across modules compares types correctly);
 *   4. memories: an 8 GiB + guard PROT_NONE reservation each, made readable
 *      as they grow, capped by the configured page maximum, and unmapped
 *      whole when freed;
 *   5. tables;
 *   6. pvf__rt_run: runs code on a stack big enough for the artifact's
 *      deterministic stack limit, switched to on the calling thread
 *      (ucontext). No thread is started: a process that runs wasm stays
 *      single-threaded, so its address space is never live on two CPUs at
 *      once and its exit, or a fork of it, needs no cross-CPU TLB
 *      shootdown (docs/performance.md).
 *
 * Allocation failures inside instantiation or execution become a
 * PVF_TRAP_RESOURCE trap: every entry into generated code runs under
 * pvf__rt_run, so there is always a trap target.
 */
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 1
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#include "engine/rt_config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <wasm-rt.h>

#include "common/asan.h"
#ifdef PVF_UNDER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#include "engine/rt.h"

#define WASM_PAGE 65536u
#define RT_MAX_LIVE_MEMORIES 4096u
#define RT_MAX_FUNC_TYPES 1000000u
#define RT_MAX_TABLE_ELEMENTS 10000000u

/* ---- 1. trap state ------------------------------------------------------ */

uint32_t wasm_rt_call_stack_depth;

static __thread sigjmp_buf *t_jmp;           /* target of the running call */
static __thread volatile sig_atomic_t t_in_wasm;
static char g_trap_msg[PVF_ERROR_MSG_MAX];
static uint32_t g_max_pages;

void pvf__rt_set_max_pages(uint32_t max_pages)
{
	g_max_pages = max_pages;
}

static void set_trap_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_trap_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_trap_msg, sizeof(g_trap_msg), fmt, ap);
	va_end(ap);
}

void wasm_rt_trap(wasm_rt_trap_t code)
{
	if (!t_jmp) {
		/* Generated code outside pvf__rt_run: a pvfhost bug. There is no
		 * caller to report to; fail loudly rather than continue. */
		static const char m[] = "pvfhost: wasm trap outside a guarded call\n";
		ssize_t r = write(STDERR_FILENO, m, sizeof(m) - 1);
		(void)r;
		_exit(70);
	}
	siglongjmp(*t_jmp, (int)code);
}

void pvf__rt_trap(pvf_trap_kind kind, const char *msg)
{
	int code;

	switch (kind) {
	case PVF_TRAP_HOST_ERROR:
		code = PVF_RT_TRAP_HOST_ERROR;
		break;
	case PVF_TRAP_UNSUPPORTED_HOST:
		code = PVF_RT_TRAP_UNSUPPORTED_HOST;
		break;
	case PVF_TRAP_RESOURCE:
		code = PVF_RT_TRAP_RESOURCE;
		break;
	default:
		code = WASM_RT_TRAP_UNREACHABLE;
		break;
	}
	set_trap_msg("%s", msg ? msg : "");
	wasm_rt_trap((wasm_rt_trap_t)code);
}

static pvf_trap_kind trap_kind_of(int code)
{
	switch (code) {
	case WASM_RT_TRAP_OOB:
		return PVF_TRAP_MEMORY_OOB;
	case WASM_RT_TRAP_INT_OVERFLOW:
		return PVF_TRAP_INT_OVERFLOW;
	case WASM_RT_TRAP_DIV_BY_ZERO:
		return PVF_TRAP_DIV_BY_ZERO;
	case WASM_RT_TRAP_INVALID_CONVERSION:
		return PVF_TRAP_INVALID_CONVERSION;
	case WASM_RT_TRAP_UNREACHABLE:
		return PVF_TRAP_UNREACHABLE;
	case WASM_RT_TRAP_CALL_INDIRECT:
		return PVF_TRAP_INDIRECT_MISMATCH;
	case WASM_RT_TRAP_EXHAUSTION:
		return PVF_TRAP_STACK_EXHAUSTED;
	case PVF_RT_TRAP_TABLE_OOB:
		return PVF_TRAP_TABLE_OOB;
	case PVF_RT_TRAP_INDIRECT_NULL:
		return PVF_TRAP_INDIRECT_NULL;
	case PVF_RT_TRAP_INDIRECT_MISMATCH:
		return PVF_TRAP_INDIRECT_MISMATCH;
	case PVF_RT_TRAP_HOST_ERROR:
		return PVF_TRAP_HOST_ERROR;
	case PVF_RT_TRAP_UNSUPPORTED_HOST:
		return PVF_TRAP_UNSUPPORTED_HOST;
	case PVF_RT_TRAP_RESOURCE:
		return PVF_TRAP_RESOURCE;
	default:
		return PVF_TRAP_UNREACHABLE;
	}
}

const char *wasm_rt_strerror(wasm_rt_trap_t trap)
{
	return pvf_trap_describe(trap_kind_of((int)trap));
}

/* ---- 2. live reservations and the fault handler -------------------------- */

static _Atomic(uintptr_t) g_live[RT_MAX_LIVE_MEMORIES];
static struct sigaction g_prev_segv, g_prev_bus;
static int g_init_error;

static bool addr_in_live_memory(uintptr_t a)
{
	for (uint32_t i = 0; i < RT_MAX_LIVE_MEMORIES; i++) {
		uintptr_t base = atomic_load_explicit(&g_live[i], memory_order_relaxed);
		if (base && a >= base && a - base < PVF_RT_MEMORY_RESERVATION)
			return true;
	}
	return false;
}

static void fault_handler(int sig, siginfo_t *si, void *uctx)
{
	if (t_in_wasm && t_jmp && addr_in_live_memory((uintptr_t)si->si_addr)) {
		wasm_rt_trap(WASM_RT_TRAP_OOB);
	}
	/* Not ours: restore the previous disposition and return; the faulting
	 * instruction runs again and gets the previous behaviour. */
	sigaction(sig, sig == SIGSEGV ? &g_prev_segv : &g_prev_bus, NULL);
	(void)uctx;
}

static void install_handler(void)
{
	struct sigaction sa, cur;

	/* Already ours (the common case): nothing to do. Another component (a
	 * test framework, a sanitizer) may have replaced it since: then take
	 * it over again and chain to the replacement. */
	if (sigaction(SIGSEGV, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == fault_handler)
		return;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &g_prev_segv) < 0 || sigaction(SIGBUS, &sa, &g_prev_bus) < 0)
		g_init_error = -errno;
}

int pvf__rt_init(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&lock);
	install_handler();
	pthread_mutex_unlock(&lock);
	return g_init_error;
}

void wasm_rt_init(void)
{
	(void)pvf__rt_init();
}

bool wasm_rt_is_initialized(void)
{
	return true;
}

void wasm_rt_free(void)
{
}

uint32_t pvf__rt_live_memories(void)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < RT_MAX_LIVE_MEMORIES; i++)
		if (atomic_load(&g_live[i]))
			n++;
	return n;
}

static bool live_add(uintptr_t base)
{
	for (uint32_t i = 0; i < RT_MAX_LIVE_MEMORIES; i++) {
		uintptr_t expected = 0;
		if (atomic_compare_exchange_strong(&g_live[i], &expected, base))
			return true;
	}
	return false;
}

static void live_remove(uintptr_t base)
{
	for (uint32_t i = 0; i < RT_MAX_LIVE_MEMORIES; i++) {
		uintptr_t expected = base;
		if (atomic_compare_exchange_strong(&g_live[i], &expected, 0))
			return;
	}
}

/* ---- 3. function types ---------------------------------------------------- */

typedef struct func_type {
	uint32_t nparams, nresults;
	wasm_rt_type_t *types;   /* params then results */
} func_type;

static func_type *g_types;
static uint32_t g_ntypes, g_types_cap;
static pthread_mutex_t g_types_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t wasm_rt_register_func_type(uint32_t nparams, uint32_t nresults, ...)
{
	wasm_rt_type_t tmp[64];
	wasm_rt_type_t *types = tmp;
	uint32_t n = nparams + nresults;
	uint32_t result = 0;
	va_list ap;

	if (n > 64) {
		types = calloc(n, sizeof(*types));
		if (!types)
			pvf__rt_trap(PVF_TRAP_RESOURCE, "out of memory registering a function type");
	}
	va_start(ap, nresults);
	for (uint32_t i = 0; i < n; i++)
		types[i] = (wasm_rt_type_t)va_arg(ap, int);
	va_end(ap);

	pthread_mutex_lock(&g_types_lock);
	for (uint32_t i = 0; i < g_ntypes; i++) {
		func_type *t = &g_types[i];
		if (t->nparams == nparams && t->nresults == nresults &&
		    (n == 0 || memcmp(t->types, types, n * sizeof(*types)) == 0)) {
			result = i + 1;
			break;
		}
	}
	if (!result && g_ntypes < RT_MAX_FUNC_TYPES) {
		if (g_ntypes == g_types_cap) {
			uint32_t cap = g_types_cap ? g_types_cap * 2 : 64;
			func_type *nt = realloc(g_types, cap * sizeof(*nt));
			if (nt) {
				g_types = nt;
				g_types_cap = cap;
			}
		}
		if (g_ntypes < g_types_cap) {
			wasm_rt_type_t *copy = malloc(n ? n * sizeof(*copy) : 1);
			if (copy) {
				memcpy(copy, types, n * sizeof(*copy));
				g_types[g_ntypes] = (func_type){ nparams, nresults, copy };
				result = ++g_ntypes;
			}
		}
	}
	pthread_mutex_unlock(&g_types_lock);
	if (types != tmp)
		free(types);
	if (!result)
		pvf__rt_trap(PVF_TRAP_RESOURCE, "cannot register more function types");
	return result;
}

/* Exceptions are not a PVF feature; these exist so that code using them
 * links, and trap if ever reached. */
uint32_t wasm_rt_register_tag(uint32_t size)
{
	pvf__rt_trap(PVF_TRAP_RESOURCE, "exceptions are not supported");
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values)
{
	pvf__rt_trap(PVF_TRAP_RESOURCE, "exceptions are not supported");
}

void wasm_rt_throw(void)
{
	pvf__rt_trap(PVF_TRAP_RESOURCE, "exceptions are not supported");
}

WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void)
{
	return NULL;
}

void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target)
{
}

uint32_t wasm_rt_exception_tag(void)
{
	return 0;
}

uint32_t wasm_rt_exception_size(void)
{
	return 0;
}

void *wasm_rt_exception(void)
{
	return NULL;
}

/* ---- 4. memories ------------------------------------------------------------ */

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial, uint32_t max)
{
	uint32_t cap = g_max_pages ? g_max_pages : 65536u;
	void *base;

	mem->data = NULL;
	mem->pages = mem->size = 0;
	mem->max_pages = 0;
	if (max > cap)
		max = cap;
	if (initial > max) {
		set_trap_msg("memory of %u pages exceeds the maximum of %u pages", initial, max);
		wasm_rt_trap((wasm_rt_trap_t)PVF_RT_TRAP_RESOURCE);
	}
	base = mmap(NULL, PVF_RT_MEMORY_RESERVATION, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		set_trap_msg("cannot reserve address space for a linear memory: %s", strerror(errno));
		wasm_rt_trap((wasm_rt_trap_t)PVF_RT_TRAP_RESOURCE);
	}
	if (initial && mprotect(base, (size_t)initial * WASM_PAGE, PROT_READ | PROT_WRITE) < 0) {
		munmap(base, PVF_RT_MEMORY_RESERVATION);
		set_trap_msg("cannot commit %u pages of linear memory: %s", initial, strerror(errno));
		wasm_rt_trap((wasm_rt_trap_t)PVF_RT_TRAP_RESOURCE);
	}
	if (!live_add((uintptr_t)base)) {
		munmap(base, PVF_RT_MEMORY_RESERVATION);
		set_trap_msg("too many live linear memories");
		wasm_rt_trap((wasm_rt_trap_t)PVF_RT_TRAP_RESOURCE);
	}
	mem->data = base;
	mem->pages = initial;
	mem->size = initial * WASM_PAGE;
	mem->max_pages = max;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
	uint32_t old = mem->pages;
	uint64_t want = (uint64_t)old + delta;

	if (want > mem->max_pages || want > 65536u)
		return UINT32_MAX;
	if (delta == 0)
		return old;
	if (mprotect(mem->data + (size_t)old * WASM_PAGE, (size_t)delta * WASM_PAGE,
		     PROT_READ | PROT_WRITE) < 0)
		return UINT32_MAX;
	mem->pages = (uint32_t)want;
	/* 65,536 pages = 4 GiB does not fit in the 32-bit size field; wasm2c
	 * 1.0.32 has the same limitation. The signal handler still bounds
	 * every access. */
	mem->size = want >= 65536u ? UINT32_MAX : (uint32_t)(want * WASM_PAGE);
	return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
	if (!mem->data)
		return;
	live_remove((uintptr_t)mem->data);
	munmap(mem->data, PVF_RT_MEMORY_RESERVATION);
	mem->data = NULL;
	mem->pages = mem->size = 0;
}

/* ---- 5. tables ---------------------------------------------------------------- */

#define DEFINE_TABLE(type)                                                                  \
	void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t *t, uint32_t n,        \
					     uint32_t max)                                   \
	{                                                                                    \
		t->data = NULL;                                                              \
		t->size = 0;                                                                 \
		t->max_size = max;                                                           \
		if (n > RT_MAX_TABLE_ELEMENTS) {                                             \
			set_trap_msg("table of %u elements exceeds the limit of %u", n,      \
				     RT_MAX_TABLE_ELEMENTS);                                 \
			wasm_rt_trap((wasm_rt_trap_t)PVF_RT_TRAP_RESOURCE);                  \
		}                                                                            \
		if (n) {                                                                     \
			t->data = calloc(n, sizeof(wasm_rt_##type##_t));                     \
			if (!t->data) {                                                      \
				set_trap_msg("out of memory allocating a table");           \
				wasm_rt_trap((wasm_rt_trap_t)PVF_RT_TRAP_RESOURCE);          \
			}                                                                    \
		}                                                                            \
		t->size = n;                                                                 \
	}                                                                                    \
	void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t *t)                        \
	{                                                                                    \
		free(t->data);                                                               \
		t->data = NULL;                                                              \
		t->size = 0;                                                                 \
	}                                                                                    \
	uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t *t, uint32_t delta,    \
					     wasm_rt_##type##_t init)                        \
	{                                                                                    \
		uint32_t old = t->size;                                                      \
		uint64_t want = (uint64_t)old + delta;                                       \
		if (want > t->max_size || want > RT_MAX_TABLE_ELEMENTS)                      \
			return UINT32_MAX;                                                   \
		if (delta == 0)                                                              \
			return old;                                                          \
		void *nd = realloc(t->data, want * sizeof(wasm_rt_##type##_t));              \
		if (!nd)                                                                     \
			return UINT32_MAX;                                                   \
		t->data = nd;                                                                \
		for (uint64_t i = old; i < want; i++)                                        \
			t->data[i] = init;                                                   \
		t->size = (uint32_t)want;                                                    \
		return old;                                                                  \
	}

DEFINE_TABLE(funcref)
DEFINE_TABLE(externref)

/* ---- 6. running code ------------------------------------------------------------ */

typedef struct run_ctx {
	void (*fn)(void *);
	void *arg;
	int code;
	char msg[PVF_ERROR_MSG_MAX];
} run_ctx;

static void run_guarded(run_ctx *r)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile saved_jmp = t_jmp;
	volatile uint32_t saved_depth = wasm_rt_call_stack_depth;
	int code;

	g_trap_msg[0] = '\0';
	code = sigsetjmp(jb, 1);
	if (code == 0) {
		t_jmp = &jb;
		t_in_wasm = 1;
		r->fn(r->arg);
		t_in_wasm = 0;
		t_jmp = saved_jmp;
		r->code = 0;
		return;
	}
	t_in_wasm = 0;
	t_jmp = saved_jmp;
	wasm_rt_call_stack_depth = saved_depth;
	r->code = code;
	memcpy(r->msg, g_trap_msg, sizeof(r->msg));
}

/* Below every run stack: a PROT_NONE page range, so that running off the
 * end faults instead of writing into a neighbouring mapping. */
#define RT_STACK_GUARD 65536u

static __thread run_ctx *t_run;              /* the run the context executes */
#ifdef PVF_UNDER_ASAN
static __thread const void *t_caller_bottom; /* the caller's stack, for ASan */
static __thread size_t t_caller_size;
#endif

static void context_main(void)
{
#ifdef PVF_UNDER_ASAN
	__sanitizer_finish_switch_fiber(NULL, &t_caller_bottom, &t_caller_size);
#endif
	run_guarded(t_run);
#ifdef PVF_UNDER_ASAN
	/* This stack is left for good: no fake stack to keep. */
	__sanitizer_start_switch_fiber(NULL, t_caller_bottom, t_caller_size);
#endif
	/* Returning resumes uc_link, the caller. */
}

/* Runs r on the stack [sp, sp + size) and comes back: 0, or -errno. */
static __attribute__((noinline)) int run_on_stack(uint8_t *sp, size_t size, run_ctx *r)
{
	ucontext_t caller, callee;
	int e;

	if (getcontext(&callee) < 0)
		return -errno;
	callee.uc_stack.ss_sp = sp;
	callee.uc_stack.ss_size = size;
	callee.uc_link = &caller;
	makecontext(&callee, context_main, 0);
	t_run = r;
#ifdef PVF_UNDER_ASAN
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, sp, size);
#endif
	e = swapcontext(&caller, &callee) < 0 ? -errno : 0;
#ifdef PVF_UNDER_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	t_run = NULL;
	return e;
}

/* A thread that keeps its run stack (pvf_engine_keep_run_stack) maps it
 * once: later runs reuse the mapping and the pages earlier runs touched. */
static __thread bool t_keep_stack;
static __thread uint8_t *t_kept;
static __thread size_t t_kept_map;

void pvf_engine_keep_run_stack(void)
{
	t_keep_stack = true;
}

/* Maps a run stack of `map` bytes with its guard range at the bottom. */
static int stack_map(size_t map, uint8_t **ret)
{
	uint8_t *mem;
	int e;

	/* Pages are committed as the code touches them. */
	mem = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (mem == MAP_FAILED)
		return errno == ENOMEM ? -EAGAIN : -errno;
	if (mprotect(mem, RT_STACK_GUARD, PROT_NONE) < 0) {
		e = -errno;
		munmap(mem, map);
		return e;
	}
	*ret = mem;
	return 0;
}

int pvf__rt_run(size_t stack_size, void (*fn)(void *), void *arg, pvf_trap *trap)
{
	run_ctx r = { .fn = fn, .arg = arg };
	uint8_t *mem = NULL;
	size_t map;
	int e;

	if (t_in_wasm) {
		/* Nested (a host function calling back into wasm): traps unwind to
		 * the outermost call. */
		fn(arg);
		return 0;
	}
	e = pvf__rt_init();
	if (e < 0)
		return e;
	if (stack_size < (1u << 20))
		stack_size = 1u << 20;
	stack_size = (stack_size + 65535u) & ~(size_t)65535u;
	map = stack_size + RT_STACK_GUARD;
	if (t_keep_stack && t_kept && t_kept_map >= map) {
		/* The top of the kept stack: the part earlier runs touched. */
		e = run_on_stack(t_kept + RT_STACK_GUARD, t_kept_map - RT_STACK_GUARD, &r);
	} else {
		if ((e = stack_map(map, &mem)) < 0)
			return e;
		e = run_on_stack(mem + RT_STACK_GUARD, stack_size, &r);
		if (t_keep_stack) {
			if (t_kept)
				munmap(t_kept, t_kept_map);
			t_kept = mem;
			t_kept_map = map;
		} else {
			munmap(mem, map);
		}
	}
	if (e < 0)
		return e;
	if (r.code == 0)
		return 0;
	if (trap) {
		trap->kind = trap_kind_of(r.code);
		memcpy(trap->msg, r.msg, sizeof(trap->msg));
	}
	return -1;
}
