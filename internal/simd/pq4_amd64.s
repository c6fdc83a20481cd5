#include "textflag.h"

// func scanPQ4AVX2(codes, luts []byte, limit uint16, out *[32]uint16) uint32
//
// The fast scan of André et al. (VLDB 2015) and faiss: a 16-entry table
// fits one 128-bit lane, so VPSHUFB looks up 32 points' codes at once. The
// 8-bit results are added in 16-bit lanes: Y0 collects each lane whole
// (even point + 256 · odd point) and Y1 the odd points alone (the lane
// shifted right by 8); at the end Y0 − Y1<<8 leaves the even points. Both
// stay exact because every sum is below 2^16 (ScanPQ4 checks the columns).
// AVX2 has no unsigned 16-bit compare: u < limit is min(u, limit−1) = u,
// for limit ≥ 1; limit 0 admits nothing.
TEXT ·scanPQ4AVX2(SB), NOSPLIT, $0-68
	MOVQ codes_base+0(FP), SI
	MOVQ codes_len+8(FP), CX
	MOVQ luts_base+24(FP), DI
	MOVQ out+56(FP), DX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	MOVQ $0x0f0f0f0f0f0f0f0f, AX
	MOVQ AX, X7
	VPBROADCASTQ X7, Y7
	TESTQ CX, CX
	JZ done

column:
	VMOVDQU (SI), Y2
	VPSRLW $4, Y2, Y3
	VPAND Y7, Y2, Y2
	VPAND Y7, Y3, Y3
	VBROADCASTI128 (DI), Y4
	VBROADCASTI128 16(DI), Y5
	VPSHUFB Y2, Y4, Y4
	VPSHUFB Y3, Y5, Y5
	VPADDW Y4, Y0, Y0
	VPADDW Y5, Y0, Y0
	VPSRLW $8, Y4, Y4
	VPSRLW $8, Y5, Y5
	VPADDW Y4, Y1, Y1
	VPADDW Y5, Y1, Y1
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $32, CX
	JNZ column

done:
	VPSLLW $8, Y1, Y6
	VPSUBW Y6, Y0, Y0
	VMOVDQU Y0, (DX)
	VMOVDQU Y1, 32(DX)
	XORL AX, AX
	MOVWLZX limit+48(FP), BX
	TESTL BX, BX
	JZ out
	DECL BX
	MOVD BX, X8
	VPBROADCASTW X8, Y8
	VPMINUW Y8, Y0, Y9
	VPCMPEQW Y9, Y0, Y9
	VPMOVMSKB Y9, AX
	VPMINUW Y8, Y1, Y10
	VPCMPEQW Y10, Y1, Y10
	VPMOVMSKB Y10, BX
	// Each 16-bit lane set two mask bits; the low one of lane i stands
	// for point 2i in AX and for point 2i+1 in BX.
	ANDL $0x55555555, AX
	ANDL $0x55555555, BX
	SHLL $1, BX
	ORL BX, AX

out:
	MOVL AX, ret+64(FP)
	VZEROUPPER
	RET
