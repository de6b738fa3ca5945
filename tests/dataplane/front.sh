# tests/dataplane/front.sh: a layout with several clients, shared by sh, persist and fwmark.
# The caller sets FP (a two-letter prefix).
#
#   c1 192.0.2.10, c2 192.0.2.11, c3 198.18.0.10, c4 198.18.0.7 --bridge ${FP}f0--
#       director eth0 (192.0.2.1/24 = VIP, 198.18.0.1/24)
#       director eth1 (203.0.113.1/24) --bridge ${FP}b0-- rs1 203.0.113.11 (aaaa)
#                                                      `-- rs2 203.0.113.12 (bbbbb)
. ./lib.sh
VIP=192.0.2.1 RS1=203.0.113.11 RS2=203.0.113.12
C1=${FP}c1 C2=${FP}c2 C3=${FP}c3 C4=${FP}c4 D=${FP}d R1=${FP}r1 R2=${FP}r2

ns_add $C1 $C2 $C3 $C4 $D $R1 $R2
router $D
bridge ${FP}f0
for c in $C1 $C2 $C3 $C4; do port ${FP}f0 $c eth0; done
port ${FP}f0 $D eth0
addr $C1 eth0 192.0.2.10/24
addr $C2 eth0 192.0.2.11/24
addr $C3 eth0 198.18.0.10/24
addr $C4 eth0 198.18.0.7/24
route $C1 default via 192.0.2.1
route $C2 default via 192.0.2.1
route $C3 default via 198.18.0.1
route $C4 default via 198.18.0.1
addr $D eth0 $VIP/24 198.18.0.1/24
nat_servers ${FP}b0 $D $R1 $R2
