#!/usr/bin/perl
# The prepared-statement scenario of the MySQL captures (see README.md), with Perl's DBI and
# DBD::MariaDB (Debian's libdbd-mariadb-perl, over MariaDB Connector/C) and server-side prepared
# statements (mariadb_server_prepare=1): COM_STMT_PREPARE, COM_STMT_EXECUTE (binary protocol),
# COM_STMT_CLOSE.
# Usage: prepared.pl PORT PASSWORD   (the table `items` must exist with the rows 1, 2, 3)
use strict;
use warnings;
use DBI;

my ($port, $password) = @ARGV;
my $dbh = DBI->connect("DBI:MariaDB:database=analyzer;host=127.0.0.1;port=$port;mariadb_server_prepare=1;mariadb_ssl=0",
    'analyzer', $password, { RaiseError => 1, PrintError => 0, AutoCommit => 1 });

# 1. a SELECT with a parameter: 2 rows
my $select = $dbh->prepare('SELECT id, name, price FROM items WHERE id > ? ORDER BY id');
$select->execute(1);
my $rows = $select->fetchall_arrayref;
die "expected 2 rows" unless @$rows == 2;
$select->finish;
undef $select;    # COM_STMT_CLOSE

# 2. an INSERT with parameters, executed twice
my $insert = $dbh->prepare('INSERT INTO items (name, price) VALUES (?, ?)');
$insert->execute('elderberry', '4.50');
$insert->execute('fig', '0.75');
undef $insert;

# 3. an execution that fails: a duplicate primary key (1062)
my $dup = $dbh->prepare('INSERT INTO items (id, name, price) VALUES (?, ?, ?)');
eval { $dup->execute(1, 'again', '1.00') };
die "expected a duplicate key error" unless $dbh->err == 1062;
undef $dup;

$dbh->disconnect;    # COM_QUIT
