/* MindCluster's fault level of an NPU fault code (faultlevel.c names the source). */
#ifndef V4_FAULTLEVEL_H
#define V4_FAULTLEVEL_H

/* In order of severity. */
enum v4_fault_level {
	V4_FAULT_NOT_HANDLE,
	V4_FAULT_SUB_HEALTH,
	V4_FAULT_RESTART_REQUEST,
	V4_FAULT_RESTART_BUSINESS,
	V4_FAULT_FREE_RESTART_NPU,
	V4_FAULT_RESTART_NPU,
	V4_FAULT_PRE_SEPARATE_NPU,
	V4_FAULT_SEPARATE_NPU,
};

/* The level of an 8-hex-digit code (either case): 0 and *out, or -1 when the
 * code is not of that form or not in the table. */
int v4_fault_level(const char *code, enum v4_fault_level *out);
/* MindCluster's name of the level ("RestartNPU"). */
const char *v4_fault_level_name(enum v4_fault_level l);

#endif
