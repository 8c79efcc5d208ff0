h200_gpudirect_d2h = 50.6805
h200_flash_d2h_8 = 53.4934
h200_flash_d2h_12 = 53.6641
h200_bulk_h2d = 55.3499
h200_bulk_d2h = 55.3008
