
BlogitsJ(ƒ≈Êø0ÊEøe!!¿J∏‰@ón4¿Õ¿†¿‰eˇ>òw@@pr¿:HD¶ø