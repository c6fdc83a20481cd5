#include "textflag.h"

// Constants of geluAVX2: see erf32 in fastmath.go.
DATA geluconst<>+0(SB)/4, $0x3f3504f3 // rsqrt2 = 0.7071067811865476
DATA geluconst<>+4(SB)/4, $0x40800000 // four = 4.0
DATA geluconst<>+8(SB)/4, $0xc0800000 // mfour = -4.0
DATA geluconst<>+12(SB)/4, $0x3f000000 // half = 0.5
DATA geluconst<>+16(SB)/4, $0x3f800000 // one = 1.0
DATA geluconst<>+20(SB)/4, $0xaf95df0b // a13 = -2.72614225801306e-10
DATA geluconst<>+24(SB)/4, $0x32edffee // a11 = 2.77068142495902e-08
DATA geluconst<>+28(SB)/4, $0xb60cff51 // a9 = -2.10102402082508e-06
DATA geluconst<>+32(SB)/4, $0xb86ec2d2 // a7 = -5.69250639462346e-05
DATA geluconst<>+36(SB)/4, $0xba40ac63 // a5 = -0.000734990630326855
DATA geluconst<>+40(SB)/4, $0xbb41a1f6 // a3 = -0.00295459980854025
DATA geluconst<>+44(SB)/4, $0xbc83dbd4 // a1 = -0.0160960333262415
DATA geluconst<>+48(SB)/4, $0xb77460cd // b8 = -1.45660718464996e-05
DATA geluconst<>+52(SB)/4, $0xb95fbd29 // b6 = -0.000213374055278905
DATA geluconst<>+56(SB)/4, $0xbadc924e // b4 = -0.00168282697438203
DATA geluconst<>+60(SB)/4, $0xbbf19bf8 // b2 = -0.00737332916720468
DATA geluconst<>+64(SB)/4, $0xbc69b6a7 // b0 = -0.0142647390514189
GLOBL geluconst<>(SB), RODATA|NOPTR, $68

// func geluAVX2(x []float32)
// Applies x/2·(1 + erf(x/√2)) to the first len(x)&^7 elements, 8 at a time.
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	SHRQ $3, CX
	JZ   done
	VBROADCASTSS geluconst<>+0(SB), Y15
	VBROADCASTSS geluconst<>+4(SB), Y14
	VBROADCASTSS geluconst<>+8(SB), Y13
	VBROADCASTSS geluconst<>+12(SB), Y12
	VBROADCASTSS geluconst<>+16(SB), Y11

loop:
	VMOVUPS (SI), Y0
	VMULPS  Y15, Y0, Y1
	VMINPS  Y14, Y1, Y1
	VMAXPS  Y13, Y1, Y1
	VMULPS  Y1, Y1, Y2
	VBROADCASTSS geluconst<>+20(SB), Y3
	VBROADCASTSS geluconst<>+24(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS geluconst<>+28(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS geluconst<>+32(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS geluconst<>+36(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS geluconst<>+40(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS geluconst<>+44(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VMULPS       Y1, Y3, Y3
	VBROADCASTSS geluconst<>+48(SB), Y5
	VBROADCASTSS geluconst<>+52(SB), Y4
	VFMADD213PS  Y4, Y2, Y5
	VBROADCASTSS geluconst<>+56(SB), Y4
	VFMADD213PS  Y4, Y2, Y5
	VBROADCASTSS geluconst<>+60(SB), Y4
	VFMADD213PS  Y4, Y2, Y5
	VBROADCASTSS geluconst<>+64(SB), Y4
	VFMADD213PS  Y4, Y2, Y5
	VDIVPS       Y5, Y3, Y3
	VADDPS       Y11, Y3, Y3
	VMULPS       Y12, Y0, Y0
	VMULPS       Y3, Y0, Y0
	VMOVUPS      Y0, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ  loop
	VZEROUPPER

done:
	RET
