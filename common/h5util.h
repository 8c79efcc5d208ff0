/*
 * h5util.h - small HDF5 writers shared by every results file (simulator
 * runs, sweeps, calibration profiles): scalar or 1-D attributes. Each
 * returns 0 or -1 (the caller names the file in its error).
 */
#ifndef SS_H5UTIL_H
#define SS_H5UTIL_H

#include <hdf5.h>
#include <stdint.h>

/* A NUL-terminated fixed-length string attribute; NULL writes "". */
int ss_h5_attr_str(hid_t loc, const char *name, const char *val);
/* `n` values of `type` (n == 1: a scalar attribute). */
int ss_h5_attr_num(hid_t loc, const char *name, hid_t type, const void *v,
		   hsize_t n);
int ss_h5_attr_u64(hid_t loc, const char *name, uint64_t v);
int ss_h5_attr_i64(hid_t loc, const char *name, int64_t v);
int ss_h5_attr_f64(hid_t loc, const char *name, double v);

#endif
