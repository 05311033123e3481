#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Reads the DOM chromium --dump-dom wrote (HTML serialization: every
# attribute value in double quotes, text with & < > escaped, end tags
# written) into a tree, and answers the questions of tests/html/*.sh:
#
#   dom.pl FILE tags                 each element and element@attribute, once
#   dom.pl FILE text ID              the text of the element with that id
#   dom.pl FILE attr ID NAME         an attribute of the element with that id
#   dom.pl FILE rows TABLEID         rows in the table's tbody (in every
#                                    tbody under TABLEID: the matrix is
#                                    a head table and blocks of rows)
#   dom.pl FILE cell TABLEID ROW COL class and text of the cell in the row
#                                    whose first cell is ROW, column COL;
#                                    the cell's lines (a matrix cell has
#                                    one per key or grant) each trimmed,
#                                    joined by the two characters \n
#   dom.pl FILE csp                  the CSP meta's content
#   dom.pl FILE script-hash          'sha256-...' of the inline script
#   dom.pl FILE style-hash           the same of the inline style
#   dom.pl FILE -                    queries from stdin, one a line, words
#                                    separated by tabs; an answer a line
#
# Anything it cannot parse is an error (exit 2), never skipped.
use strict;
use warnings;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);

my ($file, $cmd, @args) = @ARGV;
open(my $fh, '<:raw', $file) or die "$file: $!\n";
my $html = do { local $/; <$fh> };
close $fh;
utf8::decode($html) or die "$file: not UTF-8\n";

my %void = map { $_ => 1 } qw(area base br col embed hr img input link meta source track wbr);
my %raw = map { $_ => 1 } qw(script style);
my $root = { tag => '#root', attrs => {}, kids => [], parent => undef };
my $cur = $root;
my @all;

sub decode_ent {
	my ($s) = @_;
	$s =~ s/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/ent($1)/ge;
	return $s;
}
sub ent {
	my ($e) = @_;
	return chr(hex(substr($e, 2))) if $e =~ /^#x/;
	return chr(substr($e, 1)) if $e =~ /^#/;
	my %n = (amp => '&', lt => '<', gt => '>', quot => '"', apos => "'", nbsp => "\x{a0}");
	die "unknown entity &$e;\n" unless exists $n{$e};
	return $n{$e};
}

pos($html) = 0;
my $len = length($html);
while (pos($html) < $len) {
	if ($html =~ /\G<!--.*?-->/gcs || $html =~ /\G<!DOCTYPE[^>]*>/gcsi) {
		next;
	} elsif ($html =~ /\G<\/([a-zA-Z][^\s>]*)\s*>/gc) {
		my $t = lc $1;
		my $n = $cur;
		$n = $n->{parent} while $n != $root && $n->{tag} ne $t;
		die "stray </$t> at " . pos($html) . "\n" if $n == $root;
		$cur = $n->{parent};
	} elsif ($html =~ /\G<([a-zA-Z][^\s\/>]*)((?:\s+[^\s="'>\/]+(?:="[^"]*")?)*)\s*(\/?)>/gc) {
		my ($t, $as) = (lc $1, $2);
		my $el = { tag => $t, attrs => {}, kids => [], parent => $cur, order => [] };
		while ($as =~ /\s+([^\s="'>\/]+)(?:="([^"]*)")?/g) {
			my $a = lc $1;
			die "duplicate attribute $a on <$t>\n" if exists $el->{attrs}{$a};
			$el->{attrs}{$a} = defined $2 ? decode_ent($2) : '';
			push @{$el->{order}}, $a;
		}
		push @{$cur->{kids}}, $el;
		push @all, $el;
		if ($raw{$t}) {
			$html =~ /\G(.*?)<\/$t>/gcs or die "unterminated <$t>\n";
			push @{$el->{kids}}, $1;
		} elsif (!$void{$t}) {
			$cur = $el;
		}
	} elsif ($html =~ /\G([^<]+)/gc) {
		push @{$cur->{kids}}, decode_ent($1);
	} else {
		die "cannot parse at byte " . pos($html) . ": " . substr($html, pos($html), 40) . "\n";
	}
}

sub text {
	my ($n) = @_;
	return join('', map { ref $_ ? text($_) : $_ } @{$n->{kids}});
}
sub byid {
	my ($id) = @_;
	my @m = grep { ($_->{attrs}{id} // '') eq $id } @all;
	die "no element with id $id\n" unless @m;
	die "id $id is not unique\n" if @m > 1;
	return $m[0];
}
sub kids { my ($n, $t) = @_; return grep { ref $_ && $_->{tag} eq $t } @{$n->{kids}}; }
# elements $t under $n, in document order (not inside one another's)
sub under {
	my ($n, $t) = @_;
	return map { $_->{tag} eq $t ? ($_) : under($_, $t) } grep { ref $_ } @{$n->{kids}};
}
# the rows of a table, or of the blocks of the matrix
sub body_rows { my ($n) = @_; return map { kids($_, 'tr') } under($n, 'tbody'); }
sub cells { my ($tr) = @_; return grep { ref $_ && ($_->{tag} eq 'td' || $_->{tag} eq 'th') } @{$tr->{kids}}; }
sub trim { my ($s) = @_; $s =~ s/^\s+|\s+$//g; return $s; }
sub out { my ($s) = @_; utf8::encode($s); print $s, "\n"; }

sub inline_hash {
	my ($t) = @_;
	my @m = grep { $_->{tag} eq $t } @all;
	die "expected one <$t>, found " . scalar(@m) . "\n" unless @m == 1;
	my $s = text($m[0]);
	utf8::encode($s);
	return "'sha256-" . encode_base64(sha256($s), '') . "'";
}

sub answer {
	my ($cmd, @args) = @_;
	if ($cmd eq 'tags') {
	my %seen;
	for my $el (@all) {
		$seen{$el->{tag}} = 1;
		$seen{"$el->{tag}\@$_"} = 1 for keys %{$el->{attrs}};
	}
	return join("\n", sort keys %seen);
} elsif ($cmd eq 'text') {
	return (text(byid($args[0])));
} elsif ($cmd eq 'attr') {
	my $v = byid($args[0])->{attrs}{$args[1]};
	die "no attribute $args[1]\n" unless defined $v;
	return ($v);
} elsif ($cmd eq 'rows') {
	return (scalar(body_rows(byid($args[0]))));
} elsif ($cmd eq 'cell') {
	my ($id, $row, $col) = @args;
	my $tab = byid($id);
	my @th = under($tab, 'thead');
	die "expected one thead in $id\n" unless @th == 1;
	my $th = $th[0];
	my ($hr) = kids($th, 'tr');
	my @h = map { trim(text($_)) } cells($hr);
	my ($ci) = grep { $h[$_] eq $col } 0 .. $#h;
	die "no column $col\n" unless defined $ci;
	my @r = grep { my @c = cells($_); @c && trim(text($c[0])) eq $row } body_rows($tab);
	die "no row $row\n" unless @r == 1;
	# columns as the browser counts them: a cell spans colspan columns
	my ($k, $c) = (0, undef);
	for my $x (cells($r[0])) {
		my $span = $x->{attrs}{colspan} // 1;
		if ($ci < $k + $span) { $c = $x; last; }
		$k += $span;
	}
	return '|' unless defined $c;
	my @l = map { trim($_) } split(/\n/, text($c));
	return (($c->{attrs}{class} // '') . '|' . join('\n', @l));
} elsif ($cmd eq 'csp') {
	my @m = grep { $_->{tag} eq 'meta' && lc($_->{attrs}{'http-equiv'} // '') eq 'content-security-policy' } @all;
	die "expected one CSP meta, found " . scalar(@m) . "\n" unless @m == 1;
	return ($m[0]{attrs}{content});
} elsif ($cmd eq 'script-hash') {
	return (inline_hash('script'));
} elsif ($cmd eq 'style-hash') {
	return (inline_hash('style'));
} else {
	die "unknown command $cmd\n";
}
}

if ($cmd eq '-') {
	# one query a line, its words separated by tabs; one answer a line
	while (my $q = <STDIN>) {
		chomp $q;
		utf8::decode($q);
		my $a = eval { answer(split(/\t/, $q)) };
		$a = "ERROR: $@" unless defined $a;
		$a =~ s/\n+$//;
		out($a);
	}
} else {
	out(answer($cmd, @args));
}
