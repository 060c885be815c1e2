"""Work in progress (issue 4)."""

import streamlit as st

st.title("employee")
