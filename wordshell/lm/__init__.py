"""Language models: vocabulary and ids, RNN/LSTM/GRU and window models, training, generation and scoring."""
