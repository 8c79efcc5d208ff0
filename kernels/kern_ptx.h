/*
 * kern_ptx.h - private to the kernels' .cu files: shared-memory address,
 * cp.async, ldmatrix, and the XOR swizzle of [rows][128] bf16 tiles that
 * keeps ldmatrix free of bank conflicts (prefill and decode attention).
 */
#ifndef SS_KERN_PTX_H
#define SS_KERN_PTX_H

#include <stdint.h>

__device__ __forceinline__ uint32_t smem_u32(const void *p)
{
	return (uint32_t)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void cp_async16(uint32_t dst, const void *src,
					   int bytes)
{
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst),
		     "l"(src), "r"(bytes));
}

__device__ __forceinline__ void ldsm_x4(uint32_t addr, uint32_t &r0,
					uint32_t &r1, uint32_t &r2, uint32_t &r3)
{
	asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, "
		     "[%4];\n"
		     : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
		     : "r"(addr));
}

__device__ __forceinline__ void ldsm_x4_t(uint32_t addr, uint32_t &r0,
					  uint32_t &r1, uint32_t &r2,
					  uint32_t &r3)
{
	asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 "
		     "{%0,%1,%2,%3}, [%4];\n"
		     : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
		     : "r"(addr));
}

/* Byte offset of 16-byte chunk c of row `row` in a [rows][128] bf16 tile. */
__device__ __forceinline__ uint32_t swz(uint32_t row, uint32_t c)
{
	return row * (128 * 2) + ((c ^ (row & 7)) << 4);
}

#endif
