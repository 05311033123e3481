#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# png.pl FILE [ROWS]: "WIDTH HEIGHT DISTINCT" of a PNG screenshot: its size
# and how many distinct pixel values its first ROWS rows (default 200)
# hold, decoded for real (inflate, then undo each row's filter), so a
# blank page (one value) cannot pass for a rendered one
# (tests/html/report.sh). 8-bit RGB or RGBA only, as chromium writes.
use strict;
use warnings;
use Compress::Zlib qw(uncompress);

my ($file, $want) = @ARGV;
$want //= 200;
open(my $fh, '<:raw', $file) or die "$file: $!\n";
my $png = do { local $/; <$fh> };
close $fh;
substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n" or die "$file: not a PNG\n";
my ($pos, $idat, $w, $h, $bpp) = (8, '');
while ($pos + 8 <= length($png)) {
	my ($len, $type) = unpack('Na4', substr($png, $pos, 8));
	my $data = substr($png, $pos + 8, $len);
	if ($type eq 'IHDR') {
		my ($depth, $ct, $il);
		($w, $h, $depth, $ct, undef, undef, $il) = unpack('NNCCCCC', $data);
		die "$file: depth $depth, colour type $ct, interlace $il unsupported\n"
		    unless $depth == 8 && ($ct == 2 || $ct == 6) && $il == 0;
		$bpp = $ct == 6 ? 4 : 3;
	}
	$idat .= $data if $type eq 'IDAT';
	last if $type eq 'IEND';
	$pos += 12 + $len;
}
defined $w or die "$file: no IHDR\n";
my $raw = uncompress($idat);
defined $raw or die "$file: bad image data\n";
my $stride = $w * $bpp;
my $rows = $want < $h ? $want : $h;
my @prev = (0) x $stride;
my %seen;
for my $y (0 .. $rows - 1) {
	my $f = ord(substr($raw, $y * ($stride + 1), 1));
	my @cur = unpack('C*', substr($raw, $y * ($stride + 1) + 1, $stride));
	for my $i (0 .. $stride - 1) {
		my $a = $i >= $bpp ? $cur[$i - $bpp] : 0;
		my $b = $prev[$i];
		my $c = $i >= $bpp ? $prev[$i - $bpp] : 0;
		my $p;
		if ($f == 0) { $p = 0 }
		elsif ($f == 1) { $p = $a }
		elsif ($f == 2) { $p = $b }
		elsif ($f == 3) { $p = ($a + $b) >> 1 }
		elsif ($f == 4) {
			my $e = $a + $b - $c;
			my ($pa, $pb, $pc) = (abs($e - $a), abs($e - $b), abs($e - $c));
			$p = $pa <= $pb && $pa <= $pc ? $a : $pb <= $pc ? $b : $c;
		} else { die "$file: row $y: filter $f\n" }
		$cur[$i] = ($cur[$i] + $p) & 0xff;
	}
	for (my $i = 0; $i < $stride; $i += $bpp) {
		$seen{join(',', @cur[$i .. $i + $bpp - 1])} = 1;
	}
	@prev = @cur;
}
print "$w $h ", scalar(keys %seen), "\n";
