"""MindFlow training: NF-* NetFlow CSV to a CNN-BiLSTM in MindSpore with an honest report."""
