/*
 * rmtree.h — removing a directory tree (rmtree.c).
 */
#ifndef PVF_COMMON_RMTREE_H
#define PVF_COMMON_RMTREE_H

/* Removes `name` in the directory open as `parent` (AT_FDCWD: the current
 * directory) and, if it is a directory, everything in it, without
 * following symbolic links; directories a worker made read-only are made
 * writable first. Best effort: what cannot be removed stays, and so do its
 * parents. */
void pvf_rm_tree_at(int parent, const char *name);

#endif
