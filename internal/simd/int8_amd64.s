#include "textflag.h"

// func dotU8I8AVX2(a []uint8, b []int8) int32
//
// VPMADDUBSW would multiply u8 by s8 directly but saturates its pair sums
// at int16 (255·127·2 > 32767), so the bytes are widened to int16 first
// (zero-extended for a, sign-extended for b) and multiplied with VPMADDWD,
// whose int32 pair sums are exact. 32 bytes a step into two accumulators,
// then one 16- and one 8-byte step and single bytes, so no load reaches
// past the last byte.
TEXT ·dotU8I8AVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	CMPQ CX, $32
	JLT u8x16

u8x32:
	VPMOVZXBW (SI), Y4
	VPMOVSXBW (DI), Y5
	VPMOVZXBW 16(SI), Y6
	VPMOVSXBW 16(DI), Y7
	VPMADDWD Y5, Y4, Y4
	VPMADDWD Y7, Y6, Y6
	VPADDD Y4, Y0, Y0
	VPADDD Y6, Y1, Y1
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE u8x32

u8x16:
	VPADDD Y1, Y0, Y0
	CMPQ CX, $16
	JLT u8x8
	VPMOVZXBW (SI), Y4
	VPMOVSXBW (DI), Y5
	VPMADDWD Y5, Y4, Y4
	VPADDD Y4, Y0, Y0
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $16, CX

u8x8:
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	CMPQ CX, $8
	JLT u8sum
	VPMOVZXBW (SI), X4
	VPMOVSXBW (DI), X5
	VPMADDWD X5, X4, X4
	VPADDD X4, X0, X0
	ADDQ $8, SI
	ADDQ $8, DI
	SUBQ $8, CX

u8sum:
	VPSHUFD $0x4e, X0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPADDD X1, X0, X0
	VMOVD X0, AX
	TESTQ CX, CX
	JEQ u8done

u8x1:
	MOVBLZX (SI), R8
	MOVBLSX (DI), R9
	IMULL R9, R8
	ADDL R8, AX
	INCQ SI
	INCQ DI
	DECQ CX
	JNE u8x1

u8done:
	VZEROUPPER
	MOVL AX, ret+48(FP)
	RET
