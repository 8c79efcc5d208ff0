h200_gpudirect_d2h = 50.8774
h200_flash_d2h_8 = 41.3922
h200_flash_d2h_12 = 52.4951
h200_bulk_h2d = 55.3499
h200_bulk_d2h = 55.3008
