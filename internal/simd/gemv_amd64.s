#include "textflag.h"

// func dotsBlocked8AVX2(q, ct, out []float32)
//
// One block of eight vectors at a time: for each component, broadcast q[j]
// and fuse-multiply-add the block's row j. Four accumulators (components
// j mod 4) keep four FMAs in flight; they are added once per block.
TEXT ·dotsBlocked8AVX2(SB), NOSPLIT, $0-72
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), R8
	MOVQ ct_base+24(FP), DI
	MOVQ out_base+48(FP), DX
	MOVQ out_len+56(FP), R9
	SHRQ $3, R9
	TESTQ R9, R9
	JZ done

block:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, R10
	MOVQ R8, CX
	CMPQ CX, $4
	JLT one

four:
	VBROADCASTSS (R10), Y4
	VBROADCASTSS 4(R10), Y5
	VBROADCASTSS 8(R10), Y6
	VBROADCASTSS 12(R10), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $16, R10
	ADDQ $128, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE four

one:
	TESTQ CX, CX
	JZ store
	VBROADCASTSS (R10), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $4, R10
	ADDQ $32, DI
	DECQ CX
	JMP one

store:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ $32, DX
	DECQ R9
	JNZ block

done:
	VZEROUPPER
	RET
