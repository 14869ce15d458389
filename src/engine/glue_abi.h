/*
 * glue_abi.h — the binary interface between pvfhost and an artifact.
 *
 * An artifact's shared object exports one symbol, PVF_GLUE_ABI_SYMBOL, a
 * pvf_glue_abi describing the module: its imports and exports (with types),
 * the size of its instance, and entry points wrapping wasm2c's generated
 * functions. Imported functions, memories, tables and globals are reached
 * through a pvf_glue_ctx the host passes at instantiation.
 *
 * The definitions are written once, in PVF_GLUE_ABI_DEFS, which the host
 * compiles and glue.c also pastes as text into every generated glue file,
 * so the two sides cannot drift apart. Change anything here and bump
 * PVF_GLUE_ABI_VERSION (it is part of the toolchain id).
 */
#ifndef PVF_ENGINE_GLUE_ABI_H
#define PVF_ENGINE_GLUE_ABI_H

#define PVF_GLUE_ABI_VERSION 1
#define PVF_GLUE_ABI_SYMBOL "pvf_glue_abi_v1"

#define PVF_GLUE_ABI_DEFS                                                            \
	typedef struct pvf_glue_extern {                                             \
		const char *module;                                                  \
		unsigned int module_len;                                             \
		const char *name;                                                    \
		unsigned int name_len;                                               \
		unsigned int kind;                                                   \
		const char *params;                                                  \
		const char *results;                                                 \
		unsigned int mut;                                                    \
		unsigned long long min, max;                                         \
		unsigned int has_max;                                                \
		void (*fn)(void);                                                    \
	} pvf_glue_extern;                                                           \
	typedef struct pvf_glue_ctx pvf_glue_ctx;                                    \
	struct pvf_glue_ctx {                                                        \
		void (*call)(pvf_glue_ctx *ctx, unsigned int import_index,           \
			     const unsigned long long *args, unsigned long long *results); \
		void *(*get)(pvf_glue_ctx *ctx, unsigned int import_index);          \
	};                                                                           \
	typedef void (*pvf_glue_func_fn)(void *instance, const unsigned long long *args, \
					 unsigned long long *results);               \
	typedef void *(*pvf_glue_get_fn)(void *instance);                            \
	typedef struct pvf_glue_abi {                                                \
		unsigned int abi_version;                                            \
		unsigned int stack_limit;                                         \
		unsigned long long instance_size;                                    \
		unsigned int nimports, nexports;                                     \
		const pvf_glue_extern *imports;                                      \
		const pvf_glue_extern *exports;                                      \
		void (*init_module)(void);                                           \
		void (*instantiate)(void *instance, pvf_glue_ctx *ctx);              \
		void (*free_instance)(void *instance);                               \
	} pvf_glue_abi;

PVF_GLUE_ABI_DEFS

#define PVF_GLUE_STR2(...) #__VA_ARGS__
#define PVF_GLUE_STR(x) PVF_GLUE_STR2(x)
#define PVF_GLUE_ABI_TEXT PVF_GLUE_STR(PVF_GLUE_ABI_DEFS)

#endif
