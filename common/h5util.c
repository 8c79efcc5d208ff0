/*
 * h5util.c - HDF5 attribute writers (see h5util.h).
 */
#include "h5util.h"

#include <string.h>

#include "banned.h"

int ss_h5_attr_str(hid_t loc, const char *name, const char *val)
{
	hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
	int rc = -1;

	if (!val)
		val = "";
	H5Tset_size(t, strlen(val) + 1);
	H5Tset_strpad(t, H5T_STR_NULLTERM);
	a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0) {
		rc = H5Awrite(a, t, val) < 0 ? -1 : 0;
		H5Aclose(a);
	}
	H5Sclose(sp);
	H5Tclose(t);
	return rc;
}

int ss_h5_attr_num(hid_t loc, const char *name, hid_t type, const void *v,
		   hsize_t n)
{
	hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
	hid_t a = H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
	int rc = -1;

	if (a >= 0) {
		rc = H5Awrite(a, type, v) < 0 ? -1 : 0;
		H5Aclose(a);
	}
	H5Sclose(sp);
	return rc;
}

int ss_h5_attr_u64(hid_t loc, const char *name, uint64_t v)
{
	return ss_h5_attr_num(loc, name, H5T_NATIVE_UINT64, &v, 1);
}

int ss_h5_attr_i64(hid_t loc, const char *name, int64_t v)
{
	return ss_h5_attr_num(loc, name, H5T_NATIVE_INT64, &v, 1);
}

int ss_h5_attr_f64(hid_t loc, const char *name, double v)
{
	return ss_h5_attr_num(loc, name, H5T_NATIVE_DOUBLE, &v, 1);
}
