
BlogitsJ(ÊkY¿Xûq?KÌ¿2`À_Í@hº@*üIÀŒŽÀËUoÀBu¿