/*
 * artifact.h — a loaded artifact (internal: shared by artifact.c and
 * instance.c).
 */
#ifndef PVF_ENGINE_ARTIFACT_H
#define PVF_ENGINE_ARTIFACT_H

#include "engine/engine.h"
#include "engine/elf_load.h"
#include "engine/glue_abi.h"

struct pvf_artifact {
	pvf_artifact_info info;
	pvf_elf_loaded code;       /* the mapped shared object */
	const pvf_glue_abi *abi;
	pvf_extern_desc *imports;
	pvf_extern_desc *exports;
	/* Instances whose instantiation trapped after writing references to
	 * their functions into an imported table: kept until the artifact is
	 * closed so those references never dangle. */
	struct pvf_instance **zombies;
	uint32_t nzombies;
};

/* Frees a zombie instance (instance.c). */
void pvf__instance_free_zombie(struct pvf_instance *in);

#endif
