"""The built front ends (officer app, command centre), served by Django."""
