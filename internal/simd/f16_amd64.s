#include "textflag.h"

// func dotF16AVX2(a []float32, b []uint16) float32
//
// len(a) is a multiple of 8 (DotF16 keeps the tail in Go). VCVTPH2PS
// widens 8 halves to floats; two accumulators hide the FMA latency.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	CMPQ CX, $16
	JLT f16x8

f16x16:
	VCVTPH2PS (DI), Y2
	VCVTPH2PS 16(DI), Y3
	VFMADD231PS (SI), Y2, Y0
	VFMADD231PS 32(SI), Y3, Y1
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE f16x16

f16x8:
	TESTQ CX, CX
	JZ f16sum
	VCVTPH2PS (DI), Y2
	VFMADD231PS (SI), Y2, Y0

f16sum:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func hasF16C() bool: CPUID leaf 1, ECX bit 29.
TEXT ·hasF16C(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $29, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET
