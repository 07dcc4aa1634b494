
BlogitsJ(×Ô@`¤À¡RAÞ&ÀwÀBuÀRˆÀìeõ¿[//Àw<A¿