#include "textflag.h"

// Float kernels for AVX2 + FMA. The main loop takes 32 floats a step into
// four independent accumulators, so consecutive FMAs do not wait on each
// other's latency; then one 8-float step at a time, one 4-float step, and
// single floats, so no load reaches past the last element.

// ZERO4 clears the accumulators Y0…Y3.
#define ZERO4 VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3

// SUM4 adds Y0…Y3 into the four lanes of X0.
#define SUM4 VADDPS Y1, Y0, Y0; VADDPS Y3, Y2, Y2; VADDPS Y2, Y0, Y0; VEXTRACTF128 $1, Y0, X1; VADDPS X1, X0, X0

// HSUM adds X0's four lanes into its lowest.
#define HSUM VMOVHLPS X0, X0, X1; VADDPS X1, X0, X0; VMOVSHDUP X0, X1; VADDSS X1, X0, X0

// func dotAVX2(a, b []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	ZERO4
	CMPQ CX, $32
	JLT dot8

dot32:
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE dot32

dot8:
	CMPQ CX, $8
	JLT dot4
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP dot8

dot4:
	SUM4
	CMPQ CX, $4
	JLT dotsum
	VMOVUPS (SI), X4
	VFMADD231PS (DI), X4, X0
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $4, CX

dotsum:
	HSUM
	TESTQ CX, CX
	JEQ dotdone

dot1:
	VMOVSS (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JNE dot1

dotdone:
	VZEROUPPER
	VMOVSS X0, ret+48(FP)
	RET

// func squaredL2AVX2(a, b []float32) float32
TEXT ·squaredL2AVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	ZERO4
	CMPQ CX, $32
	JLT l2x8

l2x32:
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VSUBPS (DI), Y4, Y4
	VSUBPS 32(DI), Y5, Y5
	VSUBPS 64(DI), Y6, Y6
	VSUBPS 96(DI), Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE l2x32

l2x8:
	CMPQ CX, $8
	JLT l2x4
	VMOVUPS (SI), Y4
	VSUBPS (DI), Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP l2x8

l2x4:
	SUM4
	CMPQ CX, $4
	JLT l2sum
	VMOVUPS (SI), X4
	VSUBPS (DI), X4, X4
	VFMADD231PS X4, X4, X0
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $4, CX

l2sum:
	HSUM
	TESTQ CX, CX
	JEQ l2done

l2x1:
	VMOVSS (SI), X4
	VSUBSS (DI), X4, X4
	VFMADD231SS X4, X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JNE l2x1

l2done:
	VZEROUPPER
	VMOVSS X0, ret+48(FP)
	RET
