"""The torch modules, one file per architecture; `wordshell.kinds` maps each model kind to its class."""
